package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/wallet"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

func walletCommands() []command {
	return []command{
		{name: "enrol", summary: "create a citizen's wallet (--citizen; passphrase on stdin), prints the recovery code once", run: runWalletEnrol},
		{name: "unlock", summary: "unlock, open the inbox and report what arrived (--citizen; passphrase on stdin)", run: runWalletUnlock},
		{name: "list", summary: "unlock, open the inbox and list credentials (--citizen; passphrase on stdin)", run: runWalletList},
		{name: "show", summary: "show one credential (--citizen --credential ID [--raw])", run: runWalletShow},
		{name: "present", summary: "make an SD-JWT presentation (--citizen --credential --claims a,b --aud --nonce)", run: runWalletPresent},
		{name: "respond", summary: "answer a verifier's openid4vp:// request (--citizen --uri [--credential ID | --refuse])", run: runWalletRespond},
		{name: "qr", summary: "show a credential as a QR code (--citizen --credential --claims a,b --out FILE.png)", run: runWalletQR},
		{name: "withdraw", summary: "withdraw a consent (--citizen --admin --purpose)", run: runWalletWithdraw},
		{name: "receipts", summary: "list ledger receipts and verify each offline (--citizen)", run: runWalletReceipts},
		{name: "activity", summary: "show the activity feed (--citizen)", run: runWalletActivity},
		{name: "passwd", summary: "change the passphrase (--citizen; current and new passphrase on stdin, one per line)", run: runWalletPasswd},
		{name: "recover", summary: "set a new passphrase with the recovery code (--citizen --code; new passphrase on stdin)", run: runWalletRecover},
		{name: "export", summary: "write an encrypted backup of the whole space (--citizen --out FILE)", run: runWalletExport},
		{name: "import", summary: "create a wallet from a backup (--in FILE; its passphrase on stdin)", run: runWalletImport},
		{name: "erase", summary: "erase a citizen's space for good (--citizen --yes; passphrase on stdin)", run: runWalletErase},
	}
}

// passphrases reads n lines from ESPAI_PASSPHRASE (one passphrase) or stdin.
// Passphrases are never flags: flags end up in shell history and ps output.
func passphrases(e *env, n int) ([]string, error) {
	if p := os.Getenv("ESPAI_PASSPHRASE"); p != "" && n == 1 {
		return []string{p}, nil
	}
	sc := bufio.NewScanner(e.stdin)
	var out []string
	for len(out) < n && sc.Scan() {
		out = append(out, strings.TrimRight(sc.Text(), "\r"))
	}
	if len(out) < n {
		return nil, usagef("expected %d passphrase line(s) on standard input (or ESPAI_PASSPHRASE)", n)
	}
	return out, nil
}

// walletFlags are the flags every wallet command shares.
type walletFlags struct {
	data    *string
	citizen *string
}

func addWalletFlags(fs interface {
	String(name, value, usage string) *string
}) walletFlags {
	return walletFlags{
		data:    fs.String("data", "./espai-data", "data directory"),
		citizen: fs.String("citizen", "", "the citizen's DNI or NIE"),
	}
}

func (w walletFlags) id() (string, error) {
	if *w.citizen == "" {
		return "", usagef("--citizen is required")
	}
	return strings.ToUpper(strings.TrimSpace(*w.citizen)), nil
}

// unlockWallet opens the data directory and unlocks the citizen's wallet with
// the passphrase from stdin; the inbox is opened as part of unlocking.
func unlockWallet(ctx context.Context, e *env, w walletFlags) (*app.App, *wallet.Session, error) {
	a, s, _, err := unlockWalletPass(ctx, e, w)
	return a, s, err
}

// open checks --citizen, reads n passphrase lines and opens the data
// directory: what every wallet command does first.
func (w walletFlags) open(ctx context.Context, e *env, n int) (*app.App, string, []string, error) {
	id, err := w.id()
	if err != nil {
		return nil, "", nil, err
	}
	pass, err := passphrases(e, n)
	if err != nil {
		return nil, "", nil, err
	}
	a, err := openApp(ctx, e, *w.data)
	if err != nil {
		return nil, "", nil, err
	}
	return a, id, pass, nil
}

func unlockWalletPass(ctx context.Context, e *env, w walletFlags) (*app.App, *wallet.Session, string, error) {
	a, id, pass, err := w.open(ctx, e, 1)
	if err != nil {
		return nil, nil, "", err
	}
	s, err := a.Wallet.Unlock(ctx, id, pass[0])
	if err != nil {
		a.Close()
		return nil, nil, "", err
	}
	return a, s, pass[0], nil
}

func runWalletEnrol(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet enrol")
	w := addWalletFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, id, pass, err := w.open(ctx, e, 1)
	if err != nil {
		return err
	}
	defer a.Close()
	en, err := a.Wallet.Enrol(ctx, id, pass[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wallet created; holder %s\nrecovery code (write it down, it is shown only once): %s\n", en.Keys.HolderDID, en.RecoveryCode)
	return nil
}

func runWalletList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet list")
	w := addWalletFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	creds, damaged, err := s.Credentials(ctx)
	if err != nil {
		return err
	}
	rejected, _, err := s.RejectedDeliveries(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		type item struct {
			wallet.CheckedCredential
			ID         string    `json:"id"`
			ReceivedAt time.Time `json:"received_at"`
			Label      string    `json:"label,omitempty"`
		}
		out := struct {
			Credentials []item            `json:"credentials"`
			Rejected    []wallet.Rejected `json:"rejected"`
			Damaged     int               `json:"damaged"`
		}{Rejected: rejected, Damaged: len(damaged)}
		for _, c := range creds {
			out.Credentials = append(out.Credentials, item{CheckedCredential: c.CheckedCredential, ID: c.ID, ReceivedAt: c.ReceivedAt, Label: c.Label})
		}
		for i := range out.Rejected {
			out.Rejected[i].Raw = nil
		}
		return printJSON(e, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tFORMAT\tISSUER\tISSUED\tEXPIRES")
	for _, c := range creds {
		exp := "-"
		if !c.ExpiresAt.IsZero() {
			exp = c.ExpiresAt.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Type, c.Format, c.Issuer, c.IssuedAt.Format(time.DateOnly), exp)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rejected {
		fmt.Fprintf(e.stdout, "refused delivery %s from %s: %s\n", r.ID, r.From, r.Reason)
	}
	if len(damaged) > 0 {
		fmt.Fprintf(e.stdout, "%d damaged record(s) could not be opened\n", len(damaged))
	}
	return nil
}

func runWalletShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet show")
	w := addWalletFlags(fs)
	id := fs.String("credential", "", "wallet credential id (from espai wallet list)")
	raw := fs.Bool("raw", false, "print the credential as issued (SD-JWT or JSON-LD)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return usagef("--credential is required")
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	c, err := s.Credential(ctx, *id)
	if err != nil {
		return err
	}
	if *raw {
		fmt.Fprintln(e.stdout, string(c.Raw))
		return nil
	}
	c.Raw = nil
	return printJSON(e, c)
}

func runWalletPresent(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet present")
	w := addWalletFlags(fs)
	id := fs.String("credential", "", "wallet credential id (an SD-JWT VC)")
	claims := fs.String("claims", "", "comma-separated claims to disclose, nothing else is")
	aud := fs.String("aud", "", "the verifier's identifier (key-binding JWT aud)")
	nonce := fs.String("nonce", "", "the verifier's nonce")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" || *aud == "" || *nonce == "" {
		return usagef("--credential, --aud and --nonce are required")
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	c, err := s.Credential(ctx, *id)
	if err != nil {
		return err
	}
	key, err := s.HolderJWK(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, n := range strings.Split(*claims, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	p, err := sdjwt.Present(string(c.Raw), names, sdjwt.Signer{Key: key, Alg: jwa.EdDSA}, *aud, *nonce, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, p)
	return nil
}

func runWalletReceipts(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet receipts")
	w := addWalletFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	rs, _, err := s.Receipts(ctx)
	if err != nil {
		return err
	}
	vkey := a.Ledger.VerifierKey()
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INDEX\tKIND\tADMINISTRATION\tTIME\tVERIFIED")
	bad := 0
	for _, r := range rs {
		verified := "yes"
		var b app.ReceiptBundle
		if err := json.Unmarshal(r.Raw, &b); err != nil {
			verified, bad = "no: "+err.Error(), bad+1
		} else if _, _, err := b.Verify(vkey); err != nil {
			verified, bad = "no: "+err.Error(), bad+1
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Index, r.Kind, r.Administration, r.Time.Format(time.DateTime), verified)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if bad > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d receipt(s) do not verify", bad)}
	}
	return nil
}

func runWalletActivity(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet activity")
	w := addWalletFlags(fs)
	limit := fs.Int("limit", 50, "most recent events to show")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	evs, _, err := s.Activity(ctx, *limit)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		fmt.Fprintf(e.stdout, "%s  %-20s %s\n", ev.Time.Format(time.DateTime), ev.Kind, ev.Actor)
	}
	return nil
}

func runWalletPasswd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet passwd")
	w := addWalletFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, id, p, err := w.open(ctx, e, 2)
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := a.Wallet.Unlock(ctx, id, p[0])
	if err != nil {
		return err
	}
	defer s.Lock()
	if err := s.ChangePassphrase(ctx, p[0], p[1]); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "passphrase changed")
	return nil
}

func runWalletRecover(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet recover")
	w := addWalletFlags(fs)
	code := fs.String("code", "", "the recovery code shown at enrolment")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *code == "" {
		return usagef("--code is required")
	}
	a, id, p, err := w.open(ctx, e, 1)
	if err != nil {
		return err
	}
	defer a.Close()
	next, err := a.Wallet.Recover(ctx, id, *code, p[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "passphrase reset; your new recovery code (the old one no longer works): %s\n", next)
	return nil
}

func runWalletExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet export")
	w := addWalletFlags(fs)
	out := fs.String("out", "", "backup file to write")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	a, s, pass, err := unlockWalletPass(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := s.Export(ctx, f, pass); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	return f.Close()
}

func runWalletImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet import")
	data := fs.String("data", "./espai-data", "data directory")
	in := fs.String("in", "", "backup file made by espai wallet export")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return usagef("--in is required")
	}
	p, err := passphrases(e, 1)
	if err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return usagef("%v", err)
	}
	defer f.Close()
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	id, err := a.Wallet.Import(ctx, f, p[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wallet of %s imported\n", redact(id))
	return nil
}

func runWalletErase(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet erase")
	w := addWalletFlags(fs)
	yes := fs.Bool("yes", false, "confirm: the space cannot be recovered afterwards")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*yes {
		return usagef("erasing is final: pass --yes")
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	er, err := s.Erase(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "space erased at %s; erasure proof salt: %x\n", er.Tombstone.ErasedAt.Format(time.DateTime), er.Salt)
	return nil
}

// redact shows the last four characters of a DNI/NIE.
func redact(id string) string {
	if len(id) < 4 {
		return "***"
	}
	return "*****" + id[len(id)-4:]
}

func runWalletUnlock(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet unlock")
	w := addWalletFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	r := s.InboxReport()
	fmt.Fprintf(e.stdout, "unlocked; inbox: %d credential(s), %d receipt(s), %d event(s) received, %d refused, %d left for later\n",
		len(r.Credentials), len(r.Receipts), r.Events, len(r.Rejected), r.Pending)
	return nil
}

func runWalletRespond(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet respond")
	w := addWalletFlags(fs)
	uri := fs.String("uri", "", "the openid4vp:// URI from the verifier's QR code")
	credID := fs.String("credential", "", "which credential to present (default: the only one that answers)")
	refuse := fs.Bool("refuse", false, "refuse to share")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *uri == "" {
		return usagef("--uri is required")
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	ir, err := a.OpenRequest(ctx, s, *uri)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s asks for %s from your %s credential\npurpose: %s\nlegal basis: %s\nkept for %d days\n",
		ir.VerifierName(), strings.Join(ir.Claims, ", "), ir.Type, ir.Purpose.Title, ir.Purpose.LegalBasis, ir.Purpose.RetentionDays)
	if *refuse {
		if err := a.Decline(ctx, s, ir, "the citizen refused"); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "refused; the verifier was told and your refusal is on the ledger")
		return nil
	}
	id := *credID
	if id == "" {
		if len(ir.Candidates) != 1 {
			return exitError{code: 1, msg: fmt.Sprintf("%d credentials answer this request: choose one with --credential", len(ir.Candidates))}
		}
		id = ir.Candidates[0].ID
	}
	out, err := a.Approve(ctx, s, ir, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "shared; the verifier says: %s\n", out.State)
	if out.State != "accepted" {
		return exitError{code: 1, msg: "the verifier did not accept the presentation"}
	}
	return nil
}

func runWalletQR(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet qr")
	w := addWalletFlags(fs)
	credID := fs.String("credential", "", "wallet credential id (an SD-JWT VC)")
	claims := fs.String("claims", "", "comma-separated claims to show, nothing else is")
	out := fs.String("out", "", "write the QR code to this PNG file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *credID == "" || *claims == "" {
		return usagef("--credential and --claims are required")
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	qr, err := a.PresentQR(ctx, s, *credID, splitList(*claims))
	if err != nil {
		return err
	}
	if *out != "" {
		img, err := qr.Code.PNG(4)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, img, 0o600); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout, qr.Code.Content)
	fmt.Fprintf(e.stderr, "QR version %d (level M), valid until %s\n", qr.Code.Version, qr.Expires.Format(time.TimeOnly))
	return nil
}

func runWalletWithdraw(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai wallet withdraw")
	w := addWalletFlags(fs)
	admin := fs.String("admin", "", "the administration the consent was given to")
	purpose := fs.String("purpose", "", "the purpose of the consent")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *admin == "" || *purpose == "" {
		return usagef("--admin and --purpose are required")
	}
	a, s, err := unlockWallet(ctx, e, w)
	if err != nil {
		return err
	}
	defer a.Close()
	defer s.Lock()
	if err := a.WithdrawConsent(ctx, s, *admin, *purpose); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "consent withdrawn; the withdrawal is on the ledger and its receipt in your wallet")
	return nil
}
