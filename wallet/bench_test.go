package wallet

import (
	"context"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkDeliver measures inbox deliveries with concurrent writers (64
// goroutines on the reference 2 cores), to one citizen each, against the
// baseline of one fsynced bbolt Update per delivery.
func BenchmarkDeliver(b *testing.B) {
	for _, mode := range []string{"batch", "baseline-update"} {
		b.Run(mode, func(b *testing.B) {
			e := newEnv(b, func(c *Config) { c.MaxInboxItems = 1 << 30 })
			ctx := context.Background()
			const citizens = 64
			type target struct {
				id  string
				ck  []byte
				kid string
				jwe []byte
			}
			targets := make([]target, citizens)
			for i := range targets {
				id := citizenID(b, 20000+i)
				en := e.enrol(b, id)
				j, err := SealForDelivery(en.Keys.Delivery, DeliveryCredential, make([]byte, 1500))
				if err != nil {
					b.Fatal(err)
				}
				targets[i] = target{id, citizenKey(e.w.indexKey, id), en.Keys.DeliveryKeyID(), j}
			}
			next := make(chan int, citizens)
			for i := range citizens {
				next <- i
			}
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				t := targets[<-next]
				for pb.Next() {
					var err error
					if mode == "batch" {
						_, err = e.w.Deliver(ctx, t.id, t.jwe)
					} else {
						err = baselineDeliver(e.w, t.ck, t.kid, t.jwe)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// baselineDeliver is Deliver with one db.Update per delivery instead of a
// shared Batch commit.
func baselineDeliver(w *Wallet, ck []byte, kid string, j []byte) error {
	if err := checkDeliveryJWE(j, kid, w.cfg.MaxDeliverySize); err != nil {
		return err
	}
	item := append(u64b(uint64(w.now().UnixNano())), j...)
	return w.db.Update(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, ck)
		if err != nil {
			return err
		}
		inbox := b.Bucket(bucketInbox)
		seq, _ := inbox.NextSequence()
		if err := inbox.Put(u64b(seq), item); err != nil {
			return err
		}
		return b.Put(keyInboxCount, u64b(u64(b.Get(keyInboxCount))+1))
	})
}

// BenchmarkListCredentials50 lists 50 credentials of an unlocked wallet
// (target: under 2 ms).
func BenchmarkListCredentials50(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	id := citizenID(b, 30000)
	en := e.enrol(b, id)
	for i := range 50 {
		j, _ := SealForDelivery(en.Keys.Delivery, DeliveryCredential, fmt.Appendf(nil, "valid:census %04d %0800d", i, 0))
		if _, err := e.w.Deliver(ctx, id, j); err != nil {
			b.Fatal(err)
		}
	}
	s := e.unlock(b, id)
	if n := len(s.InboxReport().Credentials); n != 50 {
		b.Fatalf("%d credentials stored", n)
	}
	b.ResetTimer()
	for b.Loop() {
		list, bad, err := s.Credentials(ctx)
		if err != nil || len(list) != 50 || len(bad) != 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnlock measures Unlock, dominated by Argon2id, with the production
// defaults (RFC 9106) and OWASP's minimum, reporting the memory parameter.
func BenchmarkUnlock(b *testing.B) {
	for _, tc := range []struct {
		name string
		p    Argon2Params
	}{
		{"rfc9106-m64MiB-t3-p4", DefaultArgon2Params()},
		{"owasp-m19MiB-t2-p1", Argon2Params{Time: 2, MemoryKiB: 19 << 10, Threads: 1}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEnv(b, func(c *Config) { c.Argon2 = tc.p })
			ctx := context.Background()
			id := citizenID(b, 40000)
			e.enrol(b, id)
			b.ResetTimer()
			for b.Loop() {
				s, err := e.w.Unlock(ctx, id, testPass)
				if err != nil {
					b.Fatal(err)
				}
				s.Lock()
			}
			b.ReportMetric(float64(tc.p.MemoryKiB), "argon2-KiB")
		})
	}
}
