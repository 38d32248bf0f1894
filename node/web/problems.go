package web

import "slices"

// Problems (RFC 9457 problem+json) in the consumer's language. A node's
// problem has a stable type URI ({prefix}{kind}), a title and a detail;
// in English the node writes its own detail, which names the exact cause
// for developers, and in another language a problem has the title and a
// plain detail of its kind from here: what a shopper who scanned a code or
// wrote to the brand needs to know, without the parser's words. The
// problem's other members (type, status, instance, segment) stay as they
// are.

// problemKinds are the kinds of the node's problems (their type URIs'
// last part) that have texts here.
var problemKinds = []string{
	"anchoring-disabled", "desk-unavailable", "internal", "invalid-badge", "invalid-digital-link", "invalid-query",
	"invalid-recall-scope", "invalid-report", "invalid-scans-query", "invalid-ticket", "member-only", "method-not-allowed",
	"not-anchored", "not-found", "not-served", "too-large", "too-long", "too-many-requests", "unsupported-media-type",
}

// ProblemKinds lists the problem kinds with texts in every language.
func ProblemKinds() []string { return slices.Clone(problemKinds) }

// Problem is the title and detail of a problem of kind in l, and whether
// there are texts for it.
func (l *Lang) Problem(kind string) (title, detail string, ok bool) {
	if _, ok := messages["problem."+kind]; !ok {
		return "", "", false
	}
	return l.T("problem." + kind), l.T("problem." + kind + ".detail"), true
}

var _ = addMessages(map[string]msg{
	"problem.internal":                      {en: "Internal error", zh: "内部错误", de: "Interner Fehler"},
	"problem.internal.detail":               {en: "Something went wrong on this node; please try again later.", zh: "节点出了点问题，请稍后再试。", de: "Auf diesem Knoten ist etwas schiefgelaufen; bitte versuchen Sie es später erneut."},
	"problem.method-not-allowed":            {en: "Method not allowed", zh: "不支持该请求方式", de: "Methode nicht erlaubt"},
	"problem.method-not-allowed.detail":     {en: "This address does not accept this kind of request.", zh: "该地址不接受这种请求方式。", de: "Diese Adresse nimmt diese Art von Anfrage nicht an."},
	"problem.not-found":                     {en: "Not found", zh: "未找到", de: "Nicht gefunden"},
	"problem.not-found.detail":              {en: "This node has no record of what this address names.", zh: "这里没有该地址所指内容的记录。", de: "Zu dieser Adresse liegt hier kein Eintrag vor."},
	"problem.invalid-query":                 {en: "Invalid query", zh: "查询无效", de: "Ungültige Abfrage"},
	"problem.invalid-query.detail":          {en: "The request's parameters cannot be used.", zh: "无法使用该请求的参数。", de: "Die Parameter der Anfrage können nicht verwendet werden."},
	"problem.invalid-digital-link":          {en: "Invalid GS1 Digital Link", zh: "无效的 GS1 数字链接", de: "Ungültiger GS1 Digital Link"},
	"problem.invalid-digital-link.detail":   {en: "The address is not a valid GS1 Digital Link.", zh: "这个地址不是有效的 GS1 数字链接。", de: "Die Adresse ist kein gültiger GS1 Digital Link."},
	"problem.invalid-badge":                 {en: "Invalid badge path", zh: "徽章地址无效", de: "Ungültige Plakettenadresse"},
	"problem.invalid-badge.detail":          {en: "A badge's address names a lot and ends in .svg, .json or /stream.", zh: "徽章地址须指明批次，并以 .svg、.json 或 /stream 结尾。", de: "Die Adresse einer Plakette nennt eine Charge und endet auf .svg, .json oder /stream."},
	"problem.not-served":                    {en: "Not served", zh: "此处不提供", de: "Hier nicht angeboten"},
	"problem.not-served.detail":             {en: "This address is not served here.", zh: "这里不提供该地址的内容。", de: "Diese Adresse wird hier nicht angeboten."},
	"problem.member-only":                   {en: "Members only", zh: "仅限联盟成员", de: "Nur für Mitglieder"},
	"problem.member-only.detail":            {en: "Only members of the consortium can see this.", zh: "只有联盟成员才能查看此内容。", de: "Nur Mitglieder des Verbunds können dies sehen."},
	"problem.too-long":                      {en: "Digital Link too long", zh: "数字链接过长", de: "Digital Link zu lang"},
	"problem.too-long.detail":               {en: "This Digital Link is too long for a QR code.", zh: "这个数字链接太长，无法生成二维码。", de: "Dieser Digital Link ist zu lang für einen QR-Code."},
	"problem.invalid-recall-scope":          {en: "Invalid recall scope request", zh: "召回范围请求无效", de: "Ungültige Anfrage zum Rückrufumfang"},
	"problem.invalid-recall-scope.detail":   {en: "Name exactly one lot: /recall/scope?lot=LINK.", zh: "请只指定一个批次：/recall/scope?lot=LINK。", de: "Nennen Sie genau eine Charge: /recall/scope?lot=LINK."},
	"problem.anchoring-disabled":            {en: "Anchoring disabled", zh: "未启用锚定", de: "Verankerung ausgeschaltet"},
	"problem.anchoring-disabled.detail":     {en: "This node does not anchor the ledger, so it has no receipts.", zh: "该节点不把账本锚定到以太坊，因此没有溯源凭证。", de: "Dieser Knoten verankert das Register nicht und hat daher keine Belege."},
	"problem.not-anchored":                  {en: "Not anchored yet", zh: "尚未锚定", de: "Noch nicht verankert"},
	"problem.not-anchored.detail":           {en: "Some of these records are not anchored on Ethereum yet; please try again in a minute.", zh: "部分记录尚未锚定到以太坊，请过一分钟再试。", de: "Einige dieser Einträge sind noch nicht auf Ethereum verankert; bitte versuchen Sie es in einer Minute erneut."},
	"problem.invalid-report":                {en: "Invalid report request", zh: "报表请求无效", de: "Ungültige Berichtsanfrage"},
	"problem.invalid-report.detail":         {en: "The report's parameters cannot be used.", zh: "无法使用该报表的参数。", de: "Die Parameter des Berichts können nicht verwendet werden."},
	"problem.invalid-scans-query":           {en: "Invalid scans query", zh: "扫码统计查询无效", de: "Ungültige Abfrage der Scans"},
	"problem.invalid-scans-query.detail":    {en: "The scan count's parameters cannot be used.", zh: "无法使用扫码统计的参数。", de: "Die Parameter der Scan-Zählung können nicht verwendet werden."},
	"problem.too-many-requests":             {en: "Too many requests", zh: "请求过于频繁", de: "Zu viele Anfragen"},
	"problem.too-many-requests.detail":      {en: "The service desk takes a few messages a minute from one address; please try again in a minute.", zh: "客服每分钟只能接收同一地址的少量留言，请一分钟后再试。", de: "Der Kundendienst nimmt von einer Adresse nur wenige Nachrichten pro Minute an; bitte versuchen Sie es in einer Minute erneut."},
	"problem.unsupported-media-type":        {en: "Unsupported media type", zh: "不支持的内容类型", de: "Nicht unterstütztes Format"},
	"problem.unsupported-media-type.detail": {en: "Please send the form, or JSON.", zh: "请通过表单或以 JSON 格式提交。", de: "Bitte senden Sie das Formular oder JSON."},
	"problem.too-large":                     {en: "Request too large", zh: "内容过长", de: "Anfrage zu groß"},
	"problem.too-large.detail":              {en: "Your message is too long; please shorten it.", zh: "留言太长了，请删减后再提交。", de: "Ihre Nachricht ist zu lang; bitte kürzen Sie sie."},
	"problem.invalid-ticket":                {en: "Invalid ticket", zh: "留言无效", de: "Ungültige Nachricht"},
	"problem.invalid-ticket.detail":         {en: "Please check the topic and the text, then try again.", zh: "请检查类型和留言内容后再试一次。", de: "Bitte prüfen Sie Anliegen und Text und versuchen Sie es dann erneut."},
	"problem.desk-unavailable":              {en: "Service desk unavailable", zh: "客服暂时无法受理", de: "Kundendienst nicht erreichbar"},
	"problem.desk-unavailable.detail":       {en: "The ledger did not record the ticket, and nothing was kept; please try again later.", zh: "账本未能记录该工单，留言也没有保存，请稍后再试。", de: "Das Register hat die Nachricht nicht erfasst, und nichts wurde gespeichert; bitte versuchen Sie es später erneut."},
})
