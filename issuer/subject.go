package issuer

import (
	"context"
	"fmt"
	"time"
)

// subject is what one credential says: who issues it and the claims.
type subject struct {
	admin      string
	claims     map[string]any
	validUntil time.Time
}

func (s *Service) subjectFor(_ context.Context, req Request) (*subject, error) {
	return nil, fmt.Errorf("%w: registers not wired yet", ErrNothingToIssue)
}

func (s *Service) signSDJWT(context.Context, *Record, *subject, *Holder) (string, error) {
	return "", fmt.Errorf("sd-jwt not wired yet")
}

func (s *Service) signJSONLD(context.Context, *Record, *subject, *Holder) (string, error) {
	return "", fmt.Errorf("json-ld not wired yet")
}
