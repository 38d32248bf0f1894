package servicecmd_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/servicecmd"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/service"
)

type fakeLedger struct{ answered *[]ledger.ServiceAnswer }

func (fakeLedger) FileTicket(_ context.Context, r ledger.ServiceRequest, _ ...client.CallOption) (*ledger.ServiceTicket, error) {
	return &ledger.ServiceTicket{ID: r.Ticket, FiledAt: "2026-03-01T10:00:00.000000000Z"}, nil
}

func (f fakeLedger) AnswerTicket(_ context.Context, a ledger.ServiceAnswer, _ ...client.CallOption) (*ledger.ServiceTicket, error) {
	*f.answered = append(*f.answered, a)
	return &ledger.ServiceTicket{ID: a.Ticket, Topic: "complaint", Outcome: a.Outcome, AnsweredAt: "2026-03-01T11:00:00.000000000Z"}, nil
}

func (fakeLedger) Close() error { return nil }

// saltShown finds a salt in show's output: no salt of a hash on the ledger
// is shown, the answer's neither (a random salt, so a fixed prefix such as
// "a" would only catch it now and then).
var saltShown = regexp.MustCompile(`"salt": *"[^"]`)

func TestServiceCommands(t *testing.T) {
	dataDir := t.TempDir()
	st, err := service.OpenStore(service.Dir(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	var answered []ledger.ServiceAnswer
	l := cmdtest.Ledger{Client: fakeLedger{&answered}}
	filed, err := service.NewDesk(st, fakeLedger{&answered}, nil).File(context.Background(),
		service.Filing{Subject: "https://id.gs1.org/01/09506000134352/10/L1", Topic: "complaint", Message: "Lid was open.", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	id := filed.Ticket

	r := cmdtest.Run(t, servicecmd.NewCmd, l, "", "list", "--data-dir", dataDir)
	if r.Code != 0 || !strings.Contains(r.Stdout, id) || !strings.Contains(r.Stdout, "complaint") {
		t.Fatalf("list: %+v", r)
	}
	r = cmdtest.Run(t, servicecmd.NewCmd, l, "", "answer", id, "--outcome", "replaced", "--message", "A new jar is on its way.", "--data-dir", dataDir)
	if r.Code != 0 || !strings.Contains(r.Stdout, "replaced") || len(answered) != 1 || answered[0].MessageSHA256 == "" {
		t.Fatalf("answer: %+v, %+v", r, answered)
	}
	r = cmdtest.Run(t, servicecmd.NewCmd, l, "", "show", id, "--data-dir", dataDir, "-o", "json")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Lid was open.") || !strings.Contains(r.Stdout, "A new jar is on its way.") || saltShown.MatchString(r.Stdout) {
		t.Fatalf("show: %+v", r)
	}
	r = cmdtest.Run(t, servicecmd.NewCmd, l, "", "delete", id, "--data-dir", dataDir)
	if r.Code != 0 {
		t.Fatalf("delete: %+v", r)
	}
	if es, _ := os.ReadDir(filepath.Join(dataDir, "service")); len(es) != 0 {
		t.Fatalf("files left: %v", es)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"show", id, "--data-dir", dataDir}, "keeps no message of ticket"},
		{[]string{"delete", id, "--data-dir", dataDir}, "keeps no message of ticket"},
		{[]string{"delete", "ticket-1", "--data-dir", dataDir}, `ticket id "ticket-1" is not`},
		{[]string{"list"}, "--data-dir is required"},
		{[]string{"answer", id, "--outcome", "ignored"}, `--outcome "ignored" is not one of`},
		{[]string{"answer", id, "--message", "bell\x07"}, "control character"},
	} {
		r := cmdtest.Run(t, servicecmd.NewCmd, l, "", tc.args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}
