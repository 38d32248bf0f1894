package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
)

// fakeLedger records what the desk submits; fail makes it refuse.
type fakeLedger struct {
	filed    []ledger.ServiceRequest
	answered []ledger.ServiceAnswer
	fail     error
}

func (f *fakeLedger) FileTicket(_ context.Context, r ledger.ServiceRequest, _ ...client.CallOption) (*ledger.ServiceTicket, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	f.filed = append(f.filed, r)
	return &ledger.ServiceTicket{ID: r.Ticket, FiledAt: "2026-03-01T10:00:00.000000000Z"}, nil
}

func (f *fakeLedger) AnswerTicket(_ context.Context, a ledger.ServiceAnswer, _ ...client.CallOption) (*ledger.ServiceTicket, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	f.answered = append(f.answered, a)
	return &ledger.ServiceTicket{ID: a.Ticket, Outcome: a.Outcome, AnsweredAt: "2026-03-01T11:00:00.000000000Z"}, nil
}

const lot = "https://id.gs1.org/01/04260123450021/10/YG-1-A"

func TestDeskFileAnswerReadDelete(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	led := &fakeLedger{}
	d := NewDesk(st, led, nil)
	msg := "Der Deckel war schon offen. Ist das normal?"
	f, err := d.File(context.Background(), Filing{Subject: lot + "/21/JAR-1", Topic: "complaint", Message: msg, Lang: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.CheckTicketID(f.Ticket); err != nil || len(f.Token) != 26 || f.FiledAt != "2026-03-01T10:00:00.000000000Z" {
		t.Fatalf("filed = %+v, %v", f, err)
	}
	// The ledger gets the ticket id and a salted hash, never the message.
	r := led.filed[0]
	kept, err := st.Get(f.Ticket)
	if err != nil || r.Ticket != f.Ticket || r.MessageSHA256 != Hash(kept.Salt, msg) || r.MessageSHA256 == Hash("", msg) ||
		strings.Contains(r.MessageSHA256+r.Subject, "Deckel") || r.Subject != lot+"/21/JAR-1" || !kept.Recorded || kept.Message != msg {
		t.Fatalf("submitted %+v, kept %+v, %v", r, kept, err)
	}
	if _, err := d.Read(f.Ticket, "wrong"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read with a wrong token: %v", err)
	}
	if _, err := d.Answer(context.Background(), f.Ticket, "replaced", "Bitte entschuldigen Sie; wir senden Ihnen ein neues Glas."); err != nil {
		t.Fatal(err)
	}
	got, err := d.Read(f.Ticket, f.Token)
	if err != nil || got.Answer == nil || got.Answer.Outcome != "replaced" || led.answered[0].MessageSHA256 != Hash(got.Answer.Salt, got.Answer.Message) {
		t.Fatalf("Read = %+v, %v; answered %+v", got, err, led.answered)
	}
	if list, err := st.List(); err != nil || len(list) != 1 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := st.Delete(f.Ticket); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(f.Ticket, f.Token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read after delete: %v", err)
	}
	if err := st.Delete(f.Ticket); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Fatalf("files left after delete: %v", es)
	}

	// A filing the ledger refuses leaves no message behind.
	led.fail = errors.New("endorsement failed")
	if _, err := d.File(context.Background(), Filing{Subject: lot, Topic: "question", Message: "Hello?"}); err == nil {
		t.Fatal("File succeeded with a failing ledger")
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Fatalf("files left after a refused filing: %v", es)
	}
}

func TestDeskRejects(t *testing.T) {
	st, _ := OpenStore(filepath.Join(t.TempDir(), "s"))
	d := NewDesk(st, &fakeLedger{}, &Options{MaxMessageRunes: 20})
	for _, tc := range []struct {
		f     Filing
		field string
	}{
		{Filing{Subject: "https://id.gs1.org/01/04260123450021", Topic: "question", Message: "hi"}, "subject"},
		{Filing{Subject: "not a link", Topic: "question", Message: "hi"}, "subject"},
		{Filing{Subject: lot, Topic: "praise", Message: "hi"}, "topic"},
		{Filing{Subject: lot, Topic: "question", Message: "  "}, "message"},
		{Filing{Subject: lot, Topic: "question", Message: strings.Repeat("长", 21)}, "message"},
		{Filing{Subject: lot, Topic: "question", Message: "bell\x07"}, "message"},
		{Filing{Subject: lot, Topic: "question", Message: "\xff"}, "message"},
	} {
		_, err := d.File(context.Background(), tc.f)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("%+v: %v, want an InputError on %s", tc.f, err, tc.field)
		}
	}
	if _, err := d.Answer(context.Background(), "tkt-x", "answered", ""); err == nil {
		t.Error("Answer accepted a bad ticket id")
	}
	if _, err := d.Answer(context.Background(), "tkt-abcdefghijklmnopqrstuvwxyz", "ignored", ""); err == nil {
		t.Error("Answer accepted a bad outcome")
	}
}
