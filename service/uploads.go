package service

import "github.com/discreet-crm/discreet"

// mayUpload applies the org setting uploads to a message the caller
// uploads (REST raw) instead of having the server fetch it from Gmail. An
// upload can claim any sender, date or Message-ID; the org may keep that
// to admins, or to nobody.
func mayUpload(actor discreet.User, org discreet.OrgSettings) error {
	switch org.Uploads {
	case "", discreet.UploadsAll:
		return nil
	case discreet.UploadsAdmins:
		if actor.Role == discreet.RoleAdmin {
			return nil
		}
		return discreet.Errorf(discreet.EPermission,
			"only admins may log uploaded messages here (org setting uploads is \"admins\"); log it from Gmail with gmailMessageId instead")
	case discreet.UploadsOff:
		return discreet.Errorf(discreet.EPermission,
			"logging uploaded messages is off (org setting uploads is \"off\"); log it from Gmail with gmailMessageId instead")
	}
	// A value this version does not know: refuse rather than guess.
	return discreet.Errorf(discreet.EPermission, "logging uploaded messages is refused: the org setting uploads has the unknown value %q", org.Uploads)
}
