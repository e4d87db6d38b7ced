// Package telegramtest is a fake Telegram Bot API server for tests and for
// developers: it speaks the real wire format on loopback, so that the bot
// runner (with gotgbot) can be tested end to end without Telegram.
//
// # Use from Go
//
//	srv := telegramtest.NewServer()
//	defer srv.Close()
//	tg := srv.AddBot("123456:secret", "memoria_bot")
//	ann := telegramtest.User{ID: 42, FirstName: "Ann"}
//	u := tg.SendText(ann, "hello")
//	// run the code under test against srv.URL() (gotgbot RequestOpts.APIURL),
//	// or against srv.URL()+"/somepath/bot"+token as a proxy URL
//	tg.WaitConfirmed(ctx, u.UpdateID)
//	sent, _ := tg.WaitSent(ctx, 1)
//
// The server answers
//
//	<prefix>/bot<token>/<method>
//	<prefix>/file/bot<token>/<file_path>
//
// for any prefix (so proxy URLs work), with GET or POST, and parameters in
// the query string or a body of application/json,
// application/x-www-form-urlencoded or multipart/form-data. Method names
// are case-insensitive, as on Telegram. Unknown tokens get 401
// Unauthorized, unknown methods 404 Not Found, like Telegram.
//
// Methods: getMe; getUpdates (long polling, offset confirmation, limit,
// negative offsets, 409 when a newer poll takes over or a webhook is set);
// getFile and downloads (400 "file is too big" over 20 MB); sendMessage
// (checks the chat, text length, parse_mode, entities and the message
// replied to); setMessageReaction (checks the emoji against the allowed
// set); sendChatAction; setWebhook (url, secret_token, max_connections,
// allowed_updates, drop_pending_updates), deleteWebhook and getWebhookInfo,
// with delivery: while a webhook is set each update is POSTed to it in
// order with the X-Telegram-Bot-Api-Secret-Token header, again and again
// with growing delays until it is answered 2xx (Server.SetWebhookClient,
// SetWebhookRetry; Bot.Deliveries, WaitDeliveries, Webhook);
// setMyCommands, getMyCommands, deleteMyCommands.
// A bot may only write to chats it has seen in an update (or AddChat): other
// chats are "chat not found", and a user seen only in a group is 403
// "bot can't initiate conversation with a user".
//
// Updates are built with Bot.SendText, SendTextIn, Forward, EditText,
// SendPhoto, SendPhotoMedia, SendDocument, SendVideo, SendAudio, SendVoice,
// SendVideoNote, SendAnimation, SendSticker, SendCallbackQuery, Press,
// Reply, EditCaption, Enqueue and EnqueueRaw. Faults are injected with Bot.FailNext and Bot.SetFaultRate.
// Calls are recorded: Bot.Calls, Sent, WaitSent, WaitCalls.
//
// # Control API
//
// For tests that run the fake as a separate process (cmd/faketelegram),
// the same server answers JSON under /_fake/:
//
//	POST   /_fake/bots                 {"token": "123:abc", "username": "memoria_bot"} → 201 bot status
//	GET    /_fake/bots                 → [bot status]
//	GET    /_fake/bots/{id}            → {"id", "username", "pending_updates", "confirmed_offset",
//	                                      "next_update_id", "polling", "calls"}
//	POST   /_fake/bots/{id}/updates    an update (below) → {"update_id", "message_id", "update"}
//	GET    /_fake/bots/{id}/sent       calls that act on Telegram (sendMessage, …), in order;
//	                                   ?method=sendMessage filters, ?min=N&timeout=5s waits for N
//	GET    /_fake/bots/{id}/calls      every request, faults included; ?method= filters
//	POST   /_fake/bots/{id}/faults     {"next": 2, "fault": {"kind": "429", "retry_after": 3,
//	                                     "delay_ms": 0, "methods": ["sendMessage"]}}
//	                                   or {"rate": 0.2, "seed": 7, "faults": [{"kind": "502"}]}
//	DELETE /_fake/bots/{id}/faults     clears them
//	POST   /_fake/bots/{id}/files      {"data": "<base64>", "name": "a.pdf"} → {"file_id"}
//
// {id} is the bot id, the token's numeric prefix. Fault kinds are "429",
// "500", "502", "drop", "drop_response", "delay" and "401"; the method name
// of file downloads is "download". An update is one of
//
//	{"type": "text", "from": {"id": 42, "first_name": "Ann"}, "text": "hi", "entities": [...]}
//	{"type": "photo", "from": {...}, "caption": "...", "caption_entities": [...],
//	 "data": "<base64>", "media_group_id": "album1", "order": "largest_in_middle"}
//	{"type": "document", "from": {...}, "data": "<base64>", "file_name": "a.pdf", "mime_type": "application/pdf"}
//	  (also "video", "audio", "voice", "video_note", "animation", "sticker")
//	{"type": "forward", "from": {...}, "text": "...", "origin": {"type": "user", "date": 0, "sender_user": {...}}}
//	{"type": "raw", "update": {"message_reaction": {...}}}
//
// with an optional "chat" (default: the private chat with "from"). Errors
// are {"error": "..."} with status 400 or 404.
package telegramtest
