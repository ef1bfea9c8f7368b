package demo

import "errors"

// ErrConfig means the Config cannot be generated (too few or too many
// citizens, an implausible date): a usage error; fix the flag or setting.
var ErrConfig = errors.New("demo: invalid config")
