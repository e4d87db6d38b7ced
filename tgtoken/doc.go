// Package tgtoken parses the telegramBotToken system setting.
//
// The setting holds either a bare bot token, as issued by @BotFather:
//
//	4839574812:AAFD39kkdpWt3ywyRZergyOLMaJhac60qc
//
// or the URL of a Bot API proxy (or a self-hosted Bot API server) ending in
// "/bot<token>":
//
//	http://proxy.test.com:8081/somepath/bot4839574812:AAFD39kkdpWt3ywyRZergyOLMaJhac60qc
//
// With a proxy URL, API calls go to "<URL>/<method>" and file downloads to the
// same URL with "/file" inserted before the last "/bot", exactly as they do on
// api.telegram.org. A token is "<digits>:<one or more of A-Z a-z 0-9 _ ->";
// its length is not checked.
//
// The setting is a secret. Nothing in this package puts it into an error
// message; use Redact (or an Endpoint's String/LogValue) to log it.
package tgtoken
