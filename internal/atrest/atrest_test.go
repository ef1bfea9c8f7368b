package atrest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "master.key")
	s, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("master key mode %v, want 0600", fi.Mode().Perm())
	}
	sealed, err := s.Seal("test/a", []byte("secret"), []byte("record-1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := again.Open("test/a", sealed, []byte("record-1"))
	if err != nil || !bytes.Equal(pt, []byte("secret")) {
		t.Fatalf("Open after reload = %q, %v", pt, err)
	}

	flipped := append([]byte(nil), sealed...)
	flipped[len(flipped)-1] ^= 1
	other, _ := New(bytes.Repeat([]byte{7}, 32))
	for name, try := range map[string]func() ([]byte, error){
		"other label":  func() ([]byte, error) { return s.Open("test/b", sealed, []byte("record-1")) },
		"other aad":    func() ([]byte, error) { return s.Open("test/a", sealed, []byte("record-2")) },
		"bit flip":     func() ([]byte, error) { return s.Open("test/a", flipped, []byte("record-1")) },
		"other master": func() ([]byte, error) { return other.Open("test/a", sealed, []byte("record-1")) },
		"truncated":    func() ([]byte, error) { return s.Open("test/a", sealed[:10], []byte("record-1")) },
	} {
		if _, err := try(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
}

func TestNewRejectsShortKey(t *testing.T) {
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("New accepted a 16-byte master key")
	}
}
