package web

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trustline/trustline/claims"
)

// Claim reasons in the shopper's language. The claims package says why a
// claim holds, fails or is pending as a claims.Why (a stable code and
// typed arguments) and writes it in English for results and receipts;
// here each code has a message ("reason.{code}") in every language, and
// the arguments are written by the language's conventions: counts pick
// plural forms, temperatures and counts use CLDR number formats, times are
// the language's date pattern in UTC (a reason's times are ledger times,
// and the claims package does not know the places' zones). Texts the
// brand or a lab wrote (an analyte, a region, a recall's reason) stay as
// written.

// reasonArgVerdict names, per code, the argument that is a report's
// verdict ("pass", "fail"), shown by its verdict.* message.
var reasonArgVerdict = map[string]int{"report_verdict": 1, "report_verdict_over": 1, "cert_verdict": 2}

// Reason writes w in l, starting with a capital letter. A Verbatim reason
// (a result without its Why) is its English text as it is.
func (l *Lang) Reason(w claims.Why) string {
	s := l.reason(w)
	r, n := utf8.DecodeRuneInString(s)
	if unicode.IsLower(r) {
		return string(unicode.ToUpper(r)) + s[n:]
	}
	return s
}

// HasReason reports whether l has a message for code: a Verbatim reason or
// an unknown code is shown in English.
func (l *Lang) HasReason(code string) bool {
	_, ok := messages["reason."+code]
	return ok
}

func (l *Lang) reason(w claims.Why) string {
	if w.Code == claims.Verbatim || !l.HasReason(w.Code) {
		return w.String()
	}
	args := make([]any, len(w.Args))
	for i, a := range w.Args {
		args[i] = l.reasonArg(a)
		if reasonArgVerdict[w.Code] == i && (a.Text == "pass" || a.Text == "fail") {
			args[i] = l.T("verdict." + a.Text)
		}
	}
	s := l.T("reason."+w.Code, args...)
	for _, c := range w.Also {
		s += l.T("punct.clause") + l.reason(c)
	}
	return s
}

func (l *Lang) reasonArg(a claims.Arg) any {
	switch a.Kind {
	case claims.ArgCount:
		return a.N
	case claims.ArgTemp:
		return l.Num(a.C)
	case claims.ArgTime:
		if a.T.IsZero() {
			return a.Text
		}
		return l.stampUTC(a.T)
	case claims.ArgTimeAfter:
		if a.T.UTC().Format(time.DateOnly) == a.Prev.UTC().Format(time.DateOnly) {
			return a.T.UTC().Format("15:04") + " UTC"
		}
		return l.stampUTC(a.T)
	case claims.ArgDuration:
		return l.Duration(a.D)
	case claims.ArgTook:
		if a.D < time.Minute {
			return l.T("dur.under")
		}
		return l.Duration(a.D)
	case claims.ArgList:
		return strings.Join(a.List, l.T("punct.list"))
	case claims.ArgClause, claims.ArgClauses:
		parts := make([]string, len(a.Why))
		for i, w := range a.Why {
			parts[i] = l.reason(w)
		}
		return strings.Join(parts, l.T("punct.clause"))
	}
	return a.Text
}

// stampUTC is a time in UTC in l's medium date-time pattern.
func (l *Lang) stampUTC(t time.Time) string {
	return t.UTC().Format(dateLayouts[l.Code].dateTime) + " UTC"
}

// Duration writes a duration to the minute: "50 h 12 min", "50 小时 12 分钟".
func (l *Lang) Duration(d time.Duration) string {
	if d < 0 {
		return "-" + l.Duration(-d)
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return l.T("dur.min", m)
	case m == 0:
		return l.T("dur.h", h)
	}
	return l.T("dur.hmin", h, m)
}

// reasonMessages are the claim reasons (reason.{code}, claims.ReasonCodes)
// and what they are made of, added to the one table (messages.go) like the
// service texts (addMessages). Wordings: zh-CN as a shop's customer
// service would write to a buyer, de plain and polite; both say what the
// record shows, not more.
var reasonMessages = map[string]msg{
	"dur.h":        {en: "%d h", zh: "%d 小时", de: "%d Std."},
	"dur.min":      {en: "%d min", zh: "%d 分钟", de: "%d Min."},
	"dur.hmin":     {en: "%d h %d min", zh: "%d 小时 %d 分钟", de: "%d Std. %d Min."},
	"dur.under":    {en: "under 1 min", zh: "1 分钟以内", de: "unter 1 Min."},
	"punct.list":   {en: ", ", zh: "、", de: ", "},
	"punct.clause": {en: "; ", zh: "；", de: "; "},

	"reason.unknown_kind": {en: "this node cannot evaluate claims of kind %s with these parameters", zh: "本节点无法核验 %s 类型、带有这些参数的承诺", de: "dieser Knoten kann Versprechen der Art %s mit diesen Parametern nicht prüfen"},

	// cold_chain
	"reason.range_unknown":        {en: "the product's temperature range is not known", zh: "尚不清楚该商品的储存温度范围", de: "der zulässige Temperaturbereich des Produkts ist nicht bekannt"},
	"reason.temp_above":           {en: "reading of %s °C at %s (%s) exceeds %s °C", zh: "%[2]s 的温度读数为 %[1]s °C（记录仪 %[3]s），高于上限 %[4]s °C", de: "Messwert von %s °C am %s (%s) liegt über %s °C"},
	"reason.temp_below":           {en: "reading of %s °C at %s (%s) is below %s °C", zh: "%[2]s 的温度读数为 %[1]s °C（记录仪 %[3]s），低于下限 %[4]s °C", de: "Messwert von %s °C am %s (%s) liegt unter %s °C"},
	"reason.readings_outside":     {en: "%d reading outside %s–%s °C|%d readings outside %s–%s °C", zh: "共有 %d 次读数超出 %s–%s °C", de: "%d Messwert außerhalb von %s–%s °C|%d Messwerte außerhalb von %s–%s °C"},
	"reason.shipment_no_readings": {en: "shipment %s carried no temperature readings", zh: "运单 %s 没有任何温度记录", de: "zur Sendung %s liegen keine Temperaturmesswerte vor"},
	"reason.gap_ship_recv":        {en: "no reading for %s between shipping at %s and receiving at %s on shipment %s (limit %s)", zh: "运单 %[4]s 从发货（%[2]s）到签收（%[3]s）之间有 %[1]s没有温度读数（最长允许 %[5]s）", de: "%s lang kein Messwert zwischen Versand (%s) und Annahme (%s) der Sendung %s (zulässig sind höchstens %s)"},
	"reason.gap_ship_first":       {en: "no reading for %s between shipping at %s and the first reading at %s on shipment %s (limit %s)", zh: "运单 %[4]s 从发货（%[2]s）到第一次读数（%[3]s）之间有 %[1]s没有温度读数（最长允许 %[5]s）", de: "%s lang kein Messwert zwischen Versand (%s) und erstem Messwert (%s) der Sendung %s (zulässig sind höchstens %s)"},
	"reason.gap_readings":         {en: "no reading for %s between %s and %s on shipment %s (limit %s)", zh: "运单 %[4]s 在 %[2]s 至 %[3]s 之间有 %[1]s没有温度读数（最长允许 %[5]s）", de: "%s lang kein Messwert zwischen %s und %s bei der Sendung %s (zulässig sind höchstens %s)"},
	"reason.gap_last_recv":        {en: "no reading for %s between the last reading at %s and receiving at %s on shipment %s (limit %s)", zh: "运单 %[4]s 从最后一次读数（%[2]s）到签收（%[3]s）之间有 %[1]s没有温度读数（最长允许 %[5]s）", de: "%s lang kein Messwert zwischen letztem Messwert (%s) und Annahme (%s) der Sendung %s (zulässig sind höchstens %s)"},
	"reason.gap_in_transit":       {en: "the shipment is still in transit, and its logger's readings may yet fill the gap", zh: "货物仍在运输途中，温度记录仪的数据之后可能会补上这段空缺", de: "die Sendung ist noch unterwegs, und die Daten ihres Temperaturloggers können die Lücke noch schließen"},
	"reason.readings_so_far":      {en: "%d reading within %s–%s °C so far; not yet received at a retail place|%d readings within %s–%s °C so far; not yet received at a retail place", zh: "目前共 %d 次读数，均在 %s–%s °C 之内；尚未送达零售门店", de: "bisher %d Messwert innerhalb von %s–%s °C; noch nicht im Handel angekommen|bisher %d Messwerte innerhalb von %s–%s °C; noch nicht im Handel angekommen"},
	"reason.no_readings":          {en: "no temperature readings were recorded between origin and retail", zh: "从产地到零售门店的途中没有任何温度记录", de: "zwischen Herkunft und Handel wurden keine Temperaturmesswerte erfasst"},
	"reason.cold_chain_kept":      {en: "%d reading from origin to retail within %s–%s °C; longest gap in transit %s (limit %s)|all %d readings from origin to retail within %s–%s °C; longest gap in transit %s (limit %s)", zh: "从产地到零售门店共 %d 次温度读数，全部在 %s–%s °C 之内；运输途中最长间隔 %s（最长允许 %s）", de: "%d Messwert von der Herkunft bis in den Handel innerhalb von %s–%s °C; längste Lücke unterwegs %s (zulässig sind höchstens %s)|alle %d Messwerte von der Herkunft bis in den Handel innerhalb von %s–%s °C; längste Lücke unterwegs %s (zulässig sind höchstens %s)"},

	// farm_to_shelf_within
	"reason.no_harvest":         {en: "no origin with a harvest time is recorded yet", zh: "尚未记录带有采收时间的产地信息", de: "es ist noch keine Herkunft mit Erntezeit erfasst"},
	"reason.not_at_retail_late": {en: "not received at a retail place %s after harvest on %s (limit %d h)", zh: "%[2]s 采收至今已过 %[1]s，仍未送达零售门店（时限 %[3]d 小时）", de: "%s nach der Ernte am %s noch nicht im Handel angekommen (zugesagt: höchstens %d Std.)"},
	"reason.not_at_retail_yet":  {en: "harvested %s; not yet received at a retail place (%s of %d h left)", zh: "采收于 %[1]s；尚未送达零售门店（%[3]d 小时时限还剩 %[2]s）", de: "geerntet am %[1]s; noch nicht im Handel angekommen (von %[3]d Std. bleiben noch %[2]s)"},
	"reason.at_retail_late":     {en: "received at a retail place on %s, %s after harvest on %s, over the %d h limit", zh: "%[1]s 送达零售门店，距 %[3]s 采收已过 %[2]s，超出了 %[4]d 小时的时限", de: "am %s im Handel angekommen, %s nach der Ernte am %s, also über der Frist von %d Std."},
	"reason.at_retail_in_time":  {en: "received at a retail place on %s, %s after harvest on %s (limit %d h)", zh: "%[1]s 送达零售门店，距 %[3]s 采收仅 %[2]s（时限 %[4]d 小时）", de: "am %s im Handel angekommen, %s nach der Ernte am %s (zugesagt: höchstens %d Std.)"},

	// Lab signers (lab_tested, certified)
	"reason.signer_revoked":      {en: "its signer %s (%s) was revoked on %s", zh: "其签名者 %[2]s（%[1]s）已于 %[3]s 被吊销", de: "die Signatur von %s (%s) wurde am %s widerrufen"},
	"reason.signer_unregistered": {en: "its signer %s is not a registered lab signer", zh: "其签名者 %s 不是已登记的检测机构", de: "der Unterzeichner %s ist kein registriertes Labor"},

	// lab_tested
	"reason.analyte_over":        {en: "%s %s %s over the limit %s", zh: "%s 检测值 %s %s，超过限值 %s", de: "%s %s %s über dem Grenzwert %s"},
	"reason.report_lacks":        {en: "report %s does not cover %s", zh: "报告 %s 未涵盖 %s", de: "Bericht %s umfasst %s nicht"},
	"reason.report_no_sampling":  {en: "report %s has no readable sampling time", zh: "报告 %s 的采样时间无法识别", de: "Bericht %s hat keine lesbare Probenahmezeit"},
	"reason.report_not_counted":  {en: "report %s does not count: %s", zh: "报告 %s 不予采信：%s", de: "Bericht %s zählt nicht: %s"},
	"reason.report_verdict":      {en: "report %s has verdict %s", zh: "报告 %s 的结论为“%s”", de: "Bericht %s hat das Ergebnis „%s“"},
	"reason.report_verdict_over": {en: "report %s has verdict %s: %s", zh: "报告 %s 的结论为“%s”：%s", de: "Bericht %s hat das Ergebnis „%s“: %s"},
	"reason.report_too_old":      {en: "report %s was sampled on %s, %s ago, older than %d day|report %s was sampled on %s, %s ago, older than %d days", zh: "报告 %s 的样品采于 %s（%s前），已超过 %d 天", de: "die Probe für Bericht %s wurde am %s genommen, vor %s, und ist damit älter als %d Tag|die Probe für Bericht %s wurde am %s genommen, vor %s, und ist damit älter als %d Tage", arg: 4},
	"reason.lab_passed":          {en: "report %s by %s (%s), sampled from %s on %s, passes %s", zh: "报告 %[1]s 由 %[2]s（%[3]s）出具，样品于 %[5]s 取自%[4]s，%[6]s 检测合格", de: "Bericht %s von %s (%s), Probe aus %s vom %s: %s bestanden"},
	"reason.this_lot":            {en: "this lot", zh: "本批次", de: "dieser Charge"},
	"reason.ingredient_lot":      {en: "ingredient lot %s", zh: "原料批次 %s", de: "der Zutatencharge %s"},
	"reason.no_lab_report":       {en: "no report of a registered lab signer covering %s is recorded yet", zh: "尚未记录已登记检测机构出具的 %s 检测报告", de: "es ist noch kein Bericht eines registrierten Labors zu %s erfasst"},
	"reason.no_lab_report_notes": {en: "no report of a registered lab signer covering %s is recorded yet (%s)", zh: "尚未记录已登记检测机构出具的 %s 检测报告（%s）", de: "es ist noch kein Bericht eines registrierten Labors zu %s erfasst (%s)"},

	// origin_in
	"reason.no_origin":      {en: "no origin is recorded yet", zh: "尚未记录产地", de: "es ist noch keine Herkunft erfasst"},
	"reason.origin_outside": {en: "origin of %s (%s) lies outside %s", zh: "%[1]s 的产地（%[2]s）不在%[3]s境内", de: "die Herkunft von %s (%s) liegt außerhalb von %s"},
	"reason.origin_inside":  {en: "%s (%s) lies in %s", zh: "%s（%s）位于%s境内", de: "%s (%s) liegt in %s"},
	"reason.the_origin":     {en: "the origin", zh: "产地", de: "die Herkunft"},
	"reason.all_origins":    {en: "all %d origins", zh: "全部 %d 个产地", de: "alle %d Herkunftsorte"},
	"reason.place_town":     {en: "%s, %s", zh: "%s, %s", de: "%s, %s"},
	"reason.place_town_geo": {en: "%s, %s at %s, %s", zh: "%s, %s，坐标 %s, %s", de: "%s, %s bei %s, %s"},
	"reason.place_geo":      {en: "%s, %s", zh: "坐标 %s, %s", de: "Position %s, %s"},
	"reason.place_producer": {en: "%s", zh: "%s", de: "%s"},

	// certified
	"reason.cert_not_counted": {en: "certificate %s for %s does not count: %s", zh: "%[2]s 的证书 %[1]s 不予采信：%[3]s", de: "Zertifikat %s für %s zählt nicht: %s"},
	"reason.cert_verdict":     {en: "certificate %s for %s has verdict %s", zh: "%[2]s 的证书 %[1]s 结论为“%[3]s”", de: "Zertifikat %s für %s hat das Ergebnis „%s“"},
	"reason.cert_expired":     {en: "certificate %s for %s, issued %s, expired after %d day|certificate %s for %s, issued %s, expired after %d days", zh: "%[2]s 的证书 %[1]s 签发于 %[3]s，%[4]d 天的有效期已过", de: "Zertifikat %s für %s, ausgestellt am %s, ist nach %d Tag abgelaufen|Zertifikat %s für %s, ausgestellt am %s, ist nach %d Tagen abgelaufen", arg: 4},
	"reason.no_cert":          {en: "no %s certificate for the origin producer %s is recorded yet", zh: "尚未记录产地生产者 %[2]s 的 %[1]s 证书", de: "für den Erzeuger %[2]s ist noch kein Zertifikat nach %[1]s erfasst"},
	"reason.cert_current":     {en: "current %s certificate: %s", zh: "有效的 %s 证书：%s", de: "gültiges Zertifikat nach %s: %s"},
	"reason.cert_entry":       {en: "%s by %s, issued %s", zh: "%[1]s，由 %[2]s 于 %[3]s 签发", de: "%s von %s, ausgestellt am %s"},

	// service_within
	"reason.no_tickets":         {en: "no tickets filed in the last %d days; nothing to judge yet", zh: "最近 %d 天内没有收到投诉或咨询，暂时无从评判", de: "in den letzten %d Tagen ist keine Anfrage eingegangen; noch nichts zu beurteilen"},
	"reason.ticket_unanswered":  {en: "ticket %s filed on %s is unanswered after %s (limit %s)", zh: "工单 %[1]s 于 %[2]s 提交，%[3]s后仍未答复（承诺 %[4]s内答复）", de: "Anfrage %s vom %s ist nach %s noch unbeantwortet (zugesagt: Antwort innerhalb von %s)"},
	"reason.ticket_late":        {en: "ticket %s filed on %s was answered %s later (limit %s)", zh: "工单 %[1]s 于 %[2]s 提交，%[3]s后才得到答复（承诺 %[4]s内答复）", de: "Anfrage %s vom %s wurde erst nach %s beantwortet (zugesagt: Antwort innerhalb von %s)"},
	"reason.tickets_in_time":    {en: "%[2]d of %[1]d ticket in the last %[3]d days answered in time|%[2]d of %[1]d tickets in the last %[3]d days answered in time", zh: "最近 %[3]d 天的 %[1]d 个工单中，%[2]d 个按时答复", de: "%[2]d von %[1]d Anfrage der letzten %[3]d Tage rechtzeitig beantwortet|%[2]d von %[1]d Anfragen der letzten %[3]d Tage rechtzeitig beantwortet"},
	"reason.tickets_unanswered": {en: "%d ticket filed in the last %d days, none answered yet|%d tickets filed in the last %d days, none answered yet", zh: "最近 %[2]d 天提交了 %[1]d 个工单，尚未答复", de: "%d Anfrage in den letzten %d Tagen eingegangen, noch nicht beantwortet|%d Anfragen in den letzten %d Tagen eingegangen, noch keine beantwortet"},
	"reason.tickets_open":       {en: "%d open, the first due by %s", zh: "%d 个待答复，最早一个须在 %s 前答复", de: "%d offen, die erste ist bis %s zu beantworten"},
	"reason.service_kept":       {en: "%d answered ticket in the last %d days, answered within %s; the longest took %s|%d answered tickets in the last %d days, all answered within %s; the longest took %s", zh: "最近 %[2]d 天答复了 %[1]d 个工单，每个都在 %[3]s内答复；最长一次用时 %[4]s", de: "%d Anfrage in den letzten %d Tagen, innerhalb von %s beantwortet; die Antwort dauerte %s|%d Anfragen in den letzten %d Tagen, alle innerhalb von %s beantwortet; die längste Antwort dauerte %s"},

	// A badge for the whole lot (claims.OverallWhy)
	"reason.recalled":          {en: "Recalled: %s", zh: "已召回：%s", de: "Zurückgerufen: %s"},
	"reason.recalled_upstream": {en: "Recalled through an ingredient lot", zh: "所用原料批次已被召回，本品随之召回", de: "Zurückgerufen, weil eine Zutatencharge zurückgerufen wurde"},
	"reason.no_claims":         {en: "no claims", zh: "暂无承诺", de: "keine Versprechen"},
	"reason.claims_hold":       {en: "%d claim holds|%d claims hold", zh: "%d 项承诺均已兑现", de: "%d Versprechen erfüllt"},
	"reason.claim_reason":      {en: "%s: %s", zh: "%s：%s", de: "%s: %s"},
}

var _ = addMessages(reasonMessages)
