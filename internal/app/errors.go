package app

import "errors"

// errNoWallet means delivery was asked for but this build has no wallet wired.
var errNoWallet = errors.New("the wallet is not available in this data directory")
