// Package wallet is each citizen's encrypted space in Espai: their keys,
// credentials, ledger receipts and activity feed, and an inbox that
// administrations deliver into while the citizen is away. Only the citizen's
// passphrase (or recovery code) opens it; the server operator cannot read it.
//
// # Using it
//
//	w, err := wallet.Open(ctx, layout.WalletDB(), sealer, checker, wallet.Config{})
//	en, err := w.Enrol(ctx, "12345678Z", passphrase)  // show en.RecoveryCode once
//	pub, err := w.PublicKeys(ctx, id)                   // works while locked
//	jwe, err := wallet.SealForDelivery(pub.Delivery, wallet.DeliveryCredential, vc)
//	_, err = w.Deliver(ctx, id, jwe)                    // issuer side, wallet locked
//	s, err := w.Unlock(ctx, id, passphrase)             // opens the inbox too
//	defer s.Lock()
//	creds, damaged, err := s.Credentials(ctx)
//
// A Session holds the unlocked keys; Lock, Config.IdleTimeout, an erasure and
// Wallet.Close drop them and later calls return ErrLocked. The holder key
// that credentials bind to is public while locked (PublicKeys: JWK for
// SD-JWT cnf, did:key for JSON-LD) and private only through a session
// (Session.HolderKey, HolderSigner, HolderJWK).
//
// Lists return the readable records and, separately, the records that failed
// authentication ([]Damaged): one damaged record never hides the others.
//
// # Security properties
//
//   - Key hierarchy (docs/wallet.md): a P-256 delivery key (JWE
//     ECDH-ES+A256KW/A256GCM), an Ed25519 holder key and a 256-bit data key
//     are wrapped with XChaCha20-Poly1305 under a KEK from Argon2id of the
//     passphrase, and separately under a KEK from a 160-bit recovery code.
//     Changing the passphrase re-wraps; records are not re-encrypted.
//   - Records are sealed under the data key with XChaCha20-Poly1305 and
//     associated data binding the citizen id, record kind, record id and
//     format version: a record copied to another citizen, id or kind fails to
//     open, even by someone who can write the bbolt file.
//   - Unlocking is bounded (Config.MaxConcurrentUnlocks) so Argon2id memory
//     cannot exhaust the machine; a wrong passphrase costs
//     Config.WrongPassphraseDelay on top of Argon2id and changes nothing.
//   - Deliveries are JWE encrypted to the citizen's delivery key: the server
//     stores them without being able to read them. Deliver refuses anything
//     but ECDH-ES+A256KW/A256GCM with the citizen's kid, compression, "crit",
//     and oversize messages. Deliver returns only after an fsynced commit.
//   - Credentials from the inbox pass through a CredentialChecker; failures
//     go to a rejected list with the reason, never silently dropped. A
//     credential bound to another holder key is rejected by the wallet.
//   - Citizen ids are not stored in clear: buckets are keyed by an HMAC of
//     the id under an index key sealed with the deployment master key.
//   - Erase is crypto-shredding: wrapped keys, public keys and the pseudonym
//     secret go first in one transaction with a non-personal Tombstone, then
//     the records.
//   - Backups are one authenticated file (Argon2id + XChaCha20-Poly1305); a
//     flipped bit anywhere is detected.
//
// # Caveats
//
//   - The pseudonym secret is sealed under the deployment master key, not the
//     citizen's keys, because the ledger needs it while the wallet is locked:
//     an operator holding the master key can link a citizen's ledger
//     pseudonyms (until erasure). See docs/wallet.md.
//   - The server sees the passphrase at unlock and holds the keys in memory
//     during a session: a compromised running server can read the wallets
//     that are unlocked on it. The protection is for data at rest, backups
//     and copies of wallet.db.
//   - Go cannot guarantee that key bytes are wiped: Lock clears the slices the
//     wallet owns, but copies made by the runtime or inside crypto packages
//     may survive until the memory is reused.
//   - bbolt reuses freed pages but does not scrub them: after an erasure the
//     old ciphertexts may remain in the file until overwritten. They are
//     unreadable without the destroyed keys; compact the file (bbolt compact)
//     to drop them physically.
//   - Record sizes, counts, delivery times and the inbox count are visible to
//     whoever reads the file; so are the public keys.
//   - Rate-limiting unlock attempts per citizen or per client is the HTTP
//     layer's job; the wallet only delays each failure.
package wallet
