package wallet

import "log/slog"

func redacted() slog.Value { return slog.StringValue("[redacted]") }
