// Package register is Espai's view of the Via Oberta registers it issues
// credentials from: the padró municipal (census), the Agència Tributària de
// Catalunya (tax compliance), the universities (degrees) and the Tresoreria
// General de la Seguretat Social (working life).
//
// Each register is one small interface (CensusSource, TaxSource,
// DegreeSource, WorkLifeSource) with a single lookup by citizen id, so the
// issuer depends on what it reads and a real Via Oberta connector can replace
// any of them. Files implements all four, plus Directory (list and search),
// from JSON files in one directory; docs/registers.md documents the format.
//
//	regs, err := register.Open(filepath.Join(dataDir, "registers"))
//	c, err := regs.Census(ctx, "12345678-z") // normalised to 12345678Z
//
// The citizen key is the DNI or NIE, upper case, with its check letter
// (NormalizeID, ValidID). Dates are calendar days (Date, "YYYY-MM-DD").
//
// # Security properties
//
//   - Every record is validated when the files are opened: required fields,
//     DNI/NIE check letters, CIF control characters, real calendar dates in a
//     possible order, postal codes of the right province, ECTS and grade
//     ranges, contribution days that fit their periods.
//   - A record that fails is quarantined, failing closed: a lookup of that
//     citizen in that register returns a *RecordError and no data, so nothing
//     is ever issued from a bad record. A second record for the same citizen
//     quarantines the citizen too (which of the two is true is unknown).
//   - A file that cannot be parsed at all fails Open (ErrBadFile), naming the
//     file and the byte, line and column of the syntax error.
//   - Files is immutable after Open; lookups hand out copies.
//   - Errors for operators name the record and the citizen id; RecordError's
//     LogValue leaves the id out, so it can be logged.
//
// # Caveats
//
//   - The files are read once. Edits need a new Open (a restart).
//   - Validation checks form and internal consistency, not truth: a valid
//     DNI check letter does not prove the person exists, and records of
//     different registers are not cross-checked against each other.
//   - Field names are matched case-insensitively (encoding/json), unknown
//     fields are refused.
//   - Search is a linear scan over the census, fine for a municipality or a
//     demo (about 15 µs for 1,200 citizens), not for a whole region.
//   - Open validates everything up front: about 160 ms for the 1,200-citizen
//     demo (3 MB of JSON), once at start-up.
package register
