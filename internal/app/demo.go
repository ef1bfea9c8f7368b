package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/datadir"
	"github.com/espai/espai/internal/demo"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/issuer"
)

// DemoStaff are the demo staff accounts and their well-known bearer tokens
// (printed in the README; demo data directories only).
var DemoStaff = []struct {
	Token   string
	Account staff.Account
	// Login and Password open the web consoles (systems have none).
	Login, Password string
}{
	{"demo-girona-issuer", staff.Account{Name: "Núria Roca (padró, Ajuntament de Girona)", Admin: "ajuntament-girona", Roles: []string{staff.RoleIssuer}}, "nuria.roca", "nuria-demo-2026"},
	{"demo-girona-verifier", staff.Account{Name: "Pere Vila (OAC, Ajuntament de Girona)", Admin: "ajuntament-girona", Roles: []string{staff.RoleVerifier}}, "pere.vila", "pere-demo-2026"},
	{"demo-girona-admin", staff.Account{Name: "Montse Pujol (secretaria, Ajuntament de Girona)", Admin: "ajuntament-girona", Roles: []string{staff.RoleAdmin}}, "montse.pujol", "montse-demo-2026"},
	{"demo-atc-issuer", staff.Account{Name: "Carme Bosch (Agència Tributària de Catalunya)", Admin: issuer.TaxAdmin, Roles: []string{staff.RoleIssuer}}, "carme.bosch", "carme-demo-2026"},
	{"demo-tgss-issuer", staff.Account{Name: "Albert Font (Tresoreria General de la Seguretat Social)", Admin: issuer.WorkLifeAdmin, Roles: []string{staff.RoleIssuer}}, "albert.font", "albert-demo-2026"},
	{"demo-udg-issuer", staff.Account{Name: "Marina Costa (Secretaria acadèmica, Universitat de Girona)", Admin: "udg", Roles: []string{staff.RoleIssuer}}, "marina.costa", "marina-demo-2026"},
	{"demo-ahc-verifier", staff.Account{Name: "Jaume Serra (Agència de l'Habitatge de Catalunya)", Admin: "ahc", Roles: []string{staff.RoleVerifier}}, "jaume.serra", "jaume-demo-2026"},
	{"demo-girona-services", staff.Account{Name: "Seu electrònica de l'Ajuntament de Girona (e-TRAM, e-NOTUM)", Admin: "ajuntament-girona", Roles: []string{staff.RoleServices}}, "", ""},
	{"demo-aoc-services", staff.Account{Name: "VÀLid, identitat digital (Consorci AOC)", Admin: "aoc", Roles: []string{staff.RoleServices}}, "", ""},
	{"demo-auditor", staff.Account{Name: "Elena Martí (auditoria, Consorci AOC)", Admin: "aoc", Roles: []string{staff.RoleAuditor}}, "elena.marti", "elena-demo-2026"},
}

// writeDemoRegisters generates the demo registers dated today (so the tax
// certificates are still valid) into the data directory.
func writeDemoRegisters(l datadir.Layout, now time.Time) error {
	ds, err := demo.Generate(demo.Config{Today: register.DateOf(now)})
	if err != nil {
		return err
	}
	return demo.WriteRegisters(l.RegistersDir(), ds)
}

// seedDemo enrols the demo personas (passphrases from demo.Personas), issues
// each of them every credential their register records allow and delivers
// it, and creates the demo staff accounts. It runs once, right after the demo
// registers are written.
func (a *App) seedDemo(ctx context.Context) error {
	for _, s := range DemoStaff {
		if err := a.Staff.AddWithToken(ctx, s.Account, s.Token); err != nil {
			return fmt.Errorf("staff %s: %w", s.Account.Name, err)
		}
		if s.Login != "" {
			if err := a.Staff.SetLogin(ctx, s.Token, s.Login, s.Password); err != nil {
				return fmt.Errorf("staff %s: %w", s.Account.Name, err)
			}
		}
	}
	for _, p := range demo.Personas() {
		if ok, err := a.Wallet.Enrolled(ctx, p.ID); err != nil {
			return err
		} else if !ok {
			if _, err := a.Wallet.Enrol(ctx, p.ID, p.Passphrase); err != nil {
				return fmt.Errorf("enrol %s: %w", p.Name, err)
			}
		}
		for _, t := range credential.Types {
			_, err := a.IssueAndDeliver(ctx, issuer.Request{Type: t, Format: credential.SDJWT, Citizen: p.ID})
			if errors.Is(err, issuer.ErrNothingToIssue) {
				continue // no record of this kind (a student without working life)
			}
			if err != nil {
				return fmt.Errorf("issue %s to %s: %w", t, p.Name, err)
			}
		}
	}
	if err := a.seedDemoLives(ctx, demo.Personas()); err != nil {
		return err
	}
	a.log.Info("demo data ready", "personas", len(demo.Personas()), "staff", len(DemoStaff))
	return nil
}
