// Package demo generates Espai's demo registers: a deterministic population
// of Catalan citizens (1,200 by default) and their census, tax-compliance,
// degree and working-life records, written as the register files that
// internal/register reads (docs/registers.md).
//
//	ds, err := demo.Generate(demo.Config{Today: register.DateOf(time.Now())})
//	err = demo.WriteRegisters(layout.RegistersDir(), ds)
//
// Five hand-written personas come first (Personas: name, DNI/NIE, a one-line
// Catalan description and a demo passphrase), each illustrating a case the
// walkthrough needs: Laia Puig Serra (12345678Z) holds one credential of each
// type; Jordi has a tax debt; Montserrat is retired; Youssef is a newcomer
// with an NIE; Marta's family is followed by social services and she has
// just graduated in nursing (the degree-awarded alert). The rest are
// drawn from tables of real Catalan given names and surnames (Catalan and
// Spanish mixed, about 15% foreign residents with NIEs and the naming customs
// of their origin), 30 real municipalities of the four provinces with real
// postal codes (Municipalities: each Ajuntament is an issuer), streets common
// to Catalan towns, the degrees of the eight public universities
// (Universities) and plausible careers.
//
// # Determinism
//
// The same Config yields byte-identical files: one PCG generator seeded
// from Config.Seed, tables in fixed order, no map iteration. Config.Today
// only shifts what is relative to the day (tax checks within the last 90
// days and valid 6 months, open employment periods up to the report date),
// so a demo started any day has valid certificates.
//
// # Security properties
//
// Every DNI, NIE and CIF has a correct check character, computed by
// internal/register (never typed by hand); the tests load the written files
// back through register.Open and require zero record errors. The files are
// written atomically with mode 0600 in a 0700 directory.
//
// # Caveats
//
//   - The people are invented. Their ids are valid in form and may, by
//     chance, be someone's real DNI: the data must never leave a demo.
//   - Companies are invented; their CIFs are valid in form and registered
//     nowhere. Real public employers (hospitals, Ajuntaments, the Departament
//     d'Educació) appear without a tax id rather than with an invented one.
//   - Pre-2012 degrees are the pre-Bologna titles (Llicenciatura,
//     Diplomatura) with an indicative ECTS equivalence.
//   - Persona passphrases are public: demo deployments only.
package demo
