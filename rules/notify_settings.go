package rules

import (
	"regexp"
	"strconv"
	"time"
	_ "time/tzdata" // time zones work on hosts without /usr/share/zoneinfo
)

// DefaultTimezone is the timezone of users who never chose one.
const DefaultTimezone = "UTC"

// validateTimezone checks a timezone setting: an IANA name that
// time.LoadLocation knows ("" stands for UTC).
func validateTimezone(name string) error {
	if name == "" {
		return nil
	}
	if len(name) > 64 || name == "Local" {
		return invalid("timezone %q is not an IANA time zone name such as Europe/Berlin or UTC", name)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return invalid("timezone %q is not an IANA time zone name such as Europe/Berlin or UTC", name)
	}
	return nil
}

// UserLocation returns the location of a timezone setting; "" and names
// that no longer load are UTC.
func UserLocation(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// channelUsername is a public chat's @username as Telegram allows it:
// 5-32 characters, letters, digits and underscores, starting with a
// letter.
var channelUsername = regexp.MustCompile(`^@[A-Za-z][A-Za-z0-9_]{4,31}$`)

// validatePublicChannel checks the telegramPublicChannel setting: empty,
// a numeric chat id (channels and groups are negative, e.g.
// -1001234567890) or an @channelname.
func validatePublicChannel(s string) error {
	if s == "" || channelUsername.MatchString(s) {
		return nil
	}
	if id, err := strconv.ParseInt(s, 10, 64); err == nil && id != 0 {
		return nil
	}
	return invalid("telegram_public_channel must be a chat id such as -1001234567890 or a channel's @username such as @mychannel (empty turns it off)")
}
