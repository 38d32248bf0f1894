package web

import (
	"io"

	"github.com/trustline/trustline/ledger"
)

// ServiceForm is the page's form for a question or complaint to the brand
// (package node/service), shown on the brand's own node only: it posts to
// Action, which files the ticket through the brand's gateway. A plain HTML
// form, no script, so that it works everywhere and stays accessible.
type ServiceForm struct {
	Action string
	// Subject is the Digital Link the consumer scanned.
	Subject string
	// Brand is the name the form addresses.
	Brand    string
	Topics   []string
	MaxRunes int
}

// NewServiceForm is the form for subject, addressed to brand.
func NewServiceForm(action, subject, brand string, maxRunes int) *ServiceForm {
	return &ServiceForm{Action: action, Subject: subject, Brand: brand, Topics: ledger.ServiceTopics(), MaxRunes: maxRunes}
}

// TicketView is a consumer's ticket as its page shows it: just filed, or
// read back with its secret link.
type TicketView struct {
	L      *Lang
	ID     string
	Topic  string
	Filed  Time
	Status string // "" while unanswered, else the outcome
	// Answer is the brand's text, if it gave one.
	Answer   string
	Answered Time
	// Link is the secret link to read the answer (shown once, when filed).
	Link string
	// Back links to the product page.
	Back string
}

// ParseTime reads a ledger time (RFC 3339) for a page; a bad one is zero.
func ParseTime(s string) Time { return parseTime(s) }

// Ticket writes a ticket's page.
func (r *Renderer) Ticket(w io.Writer, v TicketView) error {
	if v.L == nil {
		v.L = English
	}
	return r.execute(w, "ticket", v)
}

// The service texts, in the one table (messages.go): added while the
// package's variables are initialised, before lang.go's init loads the
// table into the catalog.
var _ = addMessages(map[string]msg{
	"service.h":        {en: "Questions or complaints?", zh: "有疑问或要投诉？", de: "Fragen oder Beschwerden?"},
	"service.intro":    {en: "Write to %s about this product. You need not give your name; please leave out anything personal. Only the brand keeps your message, and it can delete it; the ledger records just a ticket number and a fingerprint of the text, so that anyone can see whether the brand answers in time.", zh: "关于这件商品，您可以直接给 %s 留言。无需留下姓名，也请不要填写任何个人信息。留言只保存在品牌方，品牌方可以将其删除；账本上只记录工单号和留言的数字指纹，任何人都能据此查看品牌是否按时答复。", de: "Schreiben Sie %s zu diesem Produkt. Ihren Namen brauchen Sie nicht anzugeben; bitte lassen Sie alles Persönliche weg. Ihre Nachricht bewahrt nur die Marke auf, und sie kann sie löschen; im Register stehen nur eine Vorgangsnummer und ein Fingerabdruck des Textes, damit jeder sehen kann, ob die Marke rechtzeitig antwortet."},
	"service.topic":    {en: "Topic", zh: "类型", de: "Anliegen"},
	"service.message":  {en: "Your message", zh: "留言内容", de: "Ihre Nachricht"},
	"service.hint":     {en: "Up to %d characters.", zh: "最多 %d 个字。", de: "Höchstens %d Zeichen."},
	"service.send":     {en: "Send", zh: "提交", de: "Absenden"},
	"topic.question":   {en: "Question", zh: "咨询", de: "Frage"},
	"topic.complaint":  {en: "Complaint", zh: "投诉", de: "Beschwerde"},
	"topic.refund":     {en: "Refund request", zh: "申请退款", de: "Erstattungswunsch"},
	"ticket.title":     {en: "Your ticket", zh: "您的工单", de: "Ihr Anliegen"},
	"ticket.thanks":    {en: "Thank you: your message has reached the brand.", zh: "谢谢！您的留言已送达品牌方。", de: "Vielen Dank: Ihre Nachricht ist bei der Marke angekommen."},
	"ticket.number":    {en: "Ticket number", zh: "工单号", de: "Vorgangsnummer"},
	"ticket.keep":      {en: "Keep this link to read the answer; it is shown only once:", zh: "请保存这个链接以便查看答复，它只显示这一次：", de: "Bewahren Sie diesen Link auf, um die Antwort zu lesen; er wird nur dieses eine Mal angezeigt:"},
	"ticket.filed":     {en: "Filed", zh: "提交时间", de: "Eingereicht"},
	"ticket.waiting":   {en: "No answer yet.", zh: "暂未答复。", de: "Noch keine Antwort."},
	"ticket.answered":  {en: "Answered", zh: "答复时间", de: "Beantwortet"},
	"ticket.answer":    {en: "Answer", zh: "答复内容", de: "Antwort"},
	"ticket.back":      {en: "Back to the product", zh: "返回商品页面", de: "Zurück zum Produkt"},
	"outcome.answered": {en: "Answered", zh: "已答复", de: "Beantwortet"},
	"outcome.refunded": {en: "Refunded", zh: "已退款", de: "Erstattet"},
	"outcome.replaced": {en: "Replaced", zh: "已换货", de: "Ersetzt"},
	"outcome.declined": {en: "Declined", zh: "未予受理", de: "Abgelehnt"},
	"err.ticket":       {en: "Your message could not be sent", zh: "留言未能提交", de: "Ihre Nachricht konnte nicht gesendet werden"},
	"err.ticketMsg":    {en: "Please check the topic and the text, then try again.", zh: "请检查类型和留言内容后再试一次。", de: "Bitte prüfen Sie Anliegen und Text und versuchen Sie es dann erneut."},
	"err.tooMany":      {en: "Too many messages", zh: "留言过于频繁", de: "Zu viele Nachrichten"},
	"err.tooManyMsg":   {en: "Please wait a minute and try again.", zh: "请稍等一分钟再试。", de: "Bitte warten Sie eine Minute und versuchen Sie es dann erneut."},
	"err.deskDown":     {en: "The brand's service desk cannot be reached", zh: "品牌客服暂时无法受理", de: "Der Kundendienst der Marke ist nicht erreichbar"},
	"err.deskDownMsg":  {en: "Your message was not sent; please try again later.", zh: "您的留言没有提交成功，请稍后再试。", de: "Ihre Nachricht wurde nicht gesendet; bitte versuchen Sie es später erneut."},
	"err.noTicket":     {en: "Ticket not found", zh: "未找到该工单", de: "Vorgang nicht gefunden"},
	"err.noTicketMsg":  {en: "This link does not open a ticket: it may be mistyped, or the brand has deleted the message.", zh: "这个链接打不开工单：可能输入有误，或品牌方已删除该留言。", de: "Dieser Link öffnet keinen Vorgang: Er ist vielleicht falsch, oder die Marke hat die Nachricht gelöscht."},
})

func addMessages(m map[string]msg) bool {
	for k, v := range m {
		if _, dup := messages[k]; dup {
			panic("web: message " + k + " is defined twice")
		}
		messages[k] = v
	}
	return true
}
