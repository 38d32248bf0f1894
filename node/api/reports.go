package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/report"
)

// The node's reports for regulators (package report), at
// /reports/{fsma204,kde,eu178,expiring}, the same as `trustline report`
// computes through the API but in one request:
//
//	/reports/fsma204?lot=LINK | gtin=GTIN | from=T&to=T  [&format=csv|xlsx|json]
//	/reports/kde?(same selection)&by=product|lot|member  [&format=csv|xlsx|json]
//	/reports/eu178?lot=LINK&member=MSP                   [&format=csv|xlsx|json]
//	/reports/expiring?within=7d[&asOf=T]                 [&format=csv|xlsx|json]
//
// They are on the member surface (member.go): these records (who shipped
// what to whom) are for members and regulators, not for anyone who can
// reach the consumer pages.

// badReport is a report request the caller got wrong.
type badReport struct{ msg string }

func (e *badReport) Error() string { return e.msg }

func badf(format string, a ...any) error { return &badReport{fmt.Sprintf(format, a...)} }

func (s *Server) reports(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/reports/")
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = report.FormatCSV
	}
	var (
		tab  report.Table
		body any
		err  error
	)
	switch format {
	case report.FormatCSV, report.FormatXLSX, "json":
	default:
		err = badf("format %q: use csv, xlsx or json", format)
	}
	if err == nil {
		tab, body, err = s.report(r.Context(), name, q)
	}
	var bad *badReport
	var dl *digitallink.Error
	switch {
	case err == nil:
	case errors.As(err, &bad), errors.Is(err, report.ErrSelection), errors.As(err, &dl):
		s.problem(w, r, http.StatusBadRequest, "invalid-report", "Invalid report request", err.Error())
		return
	default:
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "json" {
		writeJSON(w, "application/json", body)
		return
	}
	var buf bytes.Buffer
	if err := tab.Write(&buf, format); err != nil {
		s.fail(w, r, err)
		return
	}
	ct := "text/csv; charset=utf-8"
	if format == report.FormatXLSX {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, format))
	_, _ = w.Write(buf.Bytes())
}

// report computes report name for the query q.
func (s *Server) report(ctx context.Context, name string, q map[string][]string) (report.Table, any, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	src := s.idx.ReportSource()
	sel := report.Selection{Lot: get("lot"), GTIN: get("gtin")}
	for _, t := range []struct {
		k   string
		dst *time.Time
	}{{"from", &sel.From}, {"to", &sel.To}} {
		if v := get(t.k); v != "" {
			at, err := parseReportTime(v)
			if err != nil {
				return report.Table{}, nil, badf("%s %q is not an RFC 3339 time or a date", t.k, v)
			}
			*t.dst = at
		}
	}
	ctes := func() ([]report.CTE, error) {
		cs, err := report.SelectCTEs(ctx, src, sel)
		return nonNil(cs), err
	}
	switch name {
	case "fsma204":
		cs, err := ctes()
		return report.FSMATable(cs), cs, err
	case "kde":
		by := get("by")
		if by == "" {
			by = report.ByProduct
		}
		cs, err := ctes()
		if err != nil {
			return report.Table{}, nil, err
		}
		gs, err := report.Completeness(cs, by)
		if err != nil {
			return report.Table{}, nil, badf("%v", err)
		}
		return report.CompletenessTable(gs, by), nonNil(gs), nil
	case "eu178":
		member := get("member")
		if sel.Lot == "" || member == "" {
			return report.Table{}, nil, badf("eu178 needs lot and member")
		}
		traces, err := report.Collect(ctx, src, report.Selection{Lot: sel.Lot})
		if err != nil {
			return report.Table{}, nil, err
		}
		ms, err := report.EU178(traces, member)
		return report.EUTable(ms), nonNil(ms), err
	case "expiring":
		within, err := report.ParseWithin(get("within"))
		if err != nil {
			return report.Table{}, nil, badf("within: %v", err)
		}
		now := time.Now()
		if v := get("asOf"); v != "" {
			if now, err = parseReportTime(v); err != nil {
				return report.Table{}, nil, badf("asOf %q is not an RFC 3339 time or a date", v)
			}
		}
		traces, err := report.Collect(ctx, src, report.Selection{All: true})
		if err != nil {
			return report.Table{}, nil, err
		}
		es := report.ExpiringLots(traces, now, within)
		return report.ExpiringTable(es), nonNil(es), nil
	}
	return report.Table{}, nil, &index.NotFoundError{What: "report " + name}
}

func parseReportTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, v)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
