package rules

import "context"

// InstanceInfo is what any visitor may know about the instance.
type InstanceInfo struct {
	FirstSignUp              bool
	AllowSignUp              bool
	DisallowPublicVisibility bool
	MaxUploadBytes           int64
}

// InstanceInfo describes the instance; it needs no user.
func (r *Rules) InstanceInfo(ctx context.Context) (InstanceInfo, error) {
	has, err := r.db.HasUsers(ctx)
	if err != nil {
		return InstanceInfo{}, err
	}
	s, err := r.db.GetSystemSettings(ctx)
	if err != nil {
		return InstanceInfo{}, err
	}
	return InstanceInfo{
		FirstSignUp: !has, AllowSignUp: !has || s.AllowSignUp,
		DisallowPublicVisibility: s.DisallowPublicVisibility, MaxUploadBytes: r.cfg.MaxUploadBytes,
	}, nil
}
