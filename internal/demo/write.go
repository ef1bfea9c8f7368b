package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/espai/espai/internal/register"
)

// envelope is the top level of every register file (docs/registers.md).
type envelope struct {
	Register register.Source `json:"register"`
	Version  int             `json:"version"`
	Records  any             `json:"records"`
}

// WriteRegisters writes ds as the four register files in dir (created 0700
// when missing). Each file is written to a temporary file, synced and
// renamed over the old one, so a reader sees the old or the new file, never
// half of one; files are 0600 because they hold personal data.
func WriteRegisters(dir string, ds *Dataset) error {
	if ds == nil {
		return fmt.Errorf("%w: nil dataset", ErrConfig)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("demo: registers directory: %w", err)
	}
	files := []struct {
		src  register.Source
		recs any
	}{
		{register.SourceCensus, ds.Census},
		{register.SourceTax, ds.Tax},
		{register.SourceDegree, ds.Degrees},
		{register.SourceWorkLife, ds.WorkLife},
	}
	for _, f := range files {
		b, err := json.MarshalIndent(envelope{f.src, register.FormatVersion, f.recs}, "", "  ")
		if err != nil {
			return fmt.Errorf("demo: encode %s: %w", f.src.File(), err)
		}
		if err := writeAtomic(filepath.Join(dir, f.src.File()), append(b, '\n')); err != nil {
			return fmt.Errorf("demo: write %s: %w", f.src.File(), err)
		}
	}
	return syncDir(dir)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// syncDir makes the renames durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("demo: sync %s: %w", dir, err)
	}
	return nil
}
