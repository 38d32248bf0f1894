package web

// messages are the consumer page's texts in each language, written by
// hand: Chinese for a mainland shopper who bought in a livestream
// (simple, warm, precise), English, and German addressing the reader as
// "Sie". "one|other" holds the plural forms chosen by the first argument
// (CLDR rules; Chinese has one form). Arguments are fmt verbs; a
// translation may reorder them with %[n]s. TestMessages checks that every
// key has every language with the same verbs.
var messages = map[string]msg{
	// Page frame.
	"page.trace":     {en: "trace", zh: "溯源", de: "Herkunftsnachweis"},
	"page.langs":     {en: "Language", zh: "语言", de: "Sprache"},
	"page.gtin":      {en: "GTIN", zh: "商品条码", de: "GTIN"},
	"page.lot":       {en: "Lot", zh: "批次", de: "Charge"},
	"page.serial":    {en: "Serial", zh: "序列号", de: "Seriennummer"},
	"page.useBy":     {en: "Use by", zh: "保质期至", de: "Zu verbrauchen bis"},
	"expiry.expired": {en: "expired", zh: "已过期", de: "abgelaufen"},
	"expiry.lastDay": {en: "last day", zh: "今天到期", de: "letzter Tag"},
	"expiry.left":    {en: "%d day left|%d days left", zh: "还剩 %d 天", de: "noch %d Tag|noch %d Tage"},
	"page.footer":    {en: "%d event recorded on the trustline ledger.|%d events recorded on the trustline ledger.", zh: "trustline 账本上共记录了 %d 条事件。", de: "%d Ereignis im trustline-Register erfasst.|%d Ereignisse im trustline-Register erfasst."},
	"page.json":      {en: "JSON", zh: "JSON 数据", de: "JSON"},
	"page.linkset":   {en: "Linkset", zh: "链接集", de: "Linkset"},
	"page.events":    {en: "EPCIS events", zh: "EPCIS 事件", de: "EPCIS-Ereignisse"},
	"page.qr":        {en: "QR code", zh: "二维码", de: "QR-Code"},
	"time.unknown":   {en: "unknown time", zh: "时间不详", de: "Zeit unbekannt"},
	"date.unknown":   {en: "unknown date", zh: "日期不详", de: "Datum unbekannt"},
	"page.yourTime":  {en: "Your time", zh: "您的当地时间", de: "Ihre Ortszeit"},
	"page.localTime": {en: "All times are the local time of the place where it happened; hold or hover over a time to see it in yours.", zh: "所有时间均为事件发生地的当地时间；长按或悬停在时间上，可查看您所在地的时间。", de: "Alle Zeiten sind Ortszeiten des jeweiligen Ortes; halten Sie den Finger oder die Maus auf eine Zeit, um sie in Ihrer Ortszeit zu sehen."},
	"page.utc":       {en: "All times in UTC (+00:00).", zh: "所有时间均为协调世界时（UTC，+00:00）。", de: "Alle Zeiten in UTC (+00:00)."},

	// Status.
	"status.recalled": {en: "Recalled", zh: "已召回", de: "Zurückgerufen"},
	"status.breach":   {en: "Cold-chain breach", zh: "冷链曾中断", de: "Kühlkette unterbrochen"},
	"status.transit":  {en: "In transit", zh: "运输中", de: "Unterwegs"},
	"status.active":   {en: "No problems recorded", zh: "未发现任何问题", de: "Keine Probleme erfasst"},

	// Recall banner.
	"recall.h":   {en: "⚠ Recalled — do not eat or drink", zh: "⚠ 已召回——请勿食用", de: "⚠ Zurückgerufen – bitte nicht verzehren"},
	"recall.by":  {en: "Class %s recall by %s, %s", zh: "%[2]s 发起的 %[1]s 级召回，%[3]s", de: "Rückruf der Klasse %s durch %s, %s"},
	"recall.via": {en: "This product was made from recalled lot", zh: "本产品的原料来自被召回的批次", de: "Dieses Produkt wurde aus einer zurückgerufenen Charge hergestellt:"},

	// Claims.
	"claims.h":       {en: "Promises, checked against the record", zh: "品牌承诺，逐条对照记录核验", de: "Versprechen, am Nachweis geprüft"},
	"claims.checked": {en: "Checked %s (ledger time).", zh: "核验时间：%s（账本时间）。", de: "Geprüft am %s (Registerzeit)."},
	"claims.evid":    {en: "Evidence:", zh: "依据：", de: "Belege:"},
	"claims.badge":   {en: "badge", zh: "徽章", de: "Plakette"},
	"claims.holds":   {en: "The record supports this promise.", zh: "记录证实，这项承诺已兑现。", de: "Der Nachweis bestätigt dieses Versprechen."},
	"claims.fails":   {en: "The record shows this promise was not kept.", zh: "记录显示，这项承诺没有兑现。", de: "Der Nachweis zeigt, dass dieses Versprechen nicht eingehalten wurde."},
	"claims.pending": {en: "Not decided yet: some evidence is still missing.", zh: "暂无结论：还缺少部分记录。", de: "Noch offen: Es fehlen noch Nachweise."},
	"claims.detail":  {en: "In detail", zh: "详细说明", de: "Im Einzelnen"},
	"badge.holds":    {en: "✓ holds", zh: "✓ 已兑现", de: "✓ erfüllt"},
	"badge.fails":    {en: "✗ fails", zh: "✗ 未兑现", de: "✗ nicht erfüllt"},
	"badge.pending":  {en: "… pending", zh: "… 待核验", de: "… offen"},
	"badge.recalled": {en: "✗ recalled", zh: "✗ 已召回", de: "✗ zurückgerufen"},
	"badge.label":    {en: "trustline claims", zh: "trustline 承诺", de: "trustline-Versprechen"},

	// Origin.
	"origin.h":          {en: "Origin", zh: "产地", de: "Herkunft"},
	"origin.ingredient": {en: "Ingredient", zh: "原料", de: "Zutat"},
	"origin.producer":   {en: "Producer", zh: "生产者", de: "Erzeuger"},
	"origin.place":      {en: "Place", zh: "地点", de: "Ort"},
	"origin.position":   {en: "Position", zh: "坐标", de: "Position"},
	"origin.harvested":  {en: "Harvested", zh: "采收时间", de: "Geerntet"},
	"origin.farming":    {en: "Farming", zh: "种养方式", de: "Anbau"},
	"origin.evidence":   {en: "Evidence", zh: "现场凭证", de: "Belege"},
	"origin.map":        {en: "map", zh: "地图", de: "Karte"},
	"origin.none":       {en: "No origin is recorded for this lot.", zh: "这个批次尚未记录产地。", de: "Für diese Charge ist keine Herkunft erfasst."},
	"map.title":         {en: "Map of the origin and the stops on the way", zh: "产地与沿途各站示意图", de: "Karte der Herkunft und der Stationen unterwegs"},

	// Lab reports.
	"lab.h":        {en: "Lab reports", zh: "检测报告", de: "Laborberichte"},
	"lab.verified": {en: "Signature verified: %s", zh: "签名已验证：%s", de: "Signatur geprüft: %s"},
	"lab.signedBy": {en: "Signed by", zh: "签名者", de: "Unterzeichnet von"},
	"lab.revoked":  {en: "this signing key was revoked on %s, after the report was recorded", zh: "该签名密钥已于 %s 吊销（在报告记录之后）", de: "dieser Signaturschlüssel wurde am %s widerrufen, nachdem der Bericht erfasst war"},
	"lab.report":   {en: "Report %s", zh: "报告 %s", de: "Bericht %s"},
	"lab.onIngr":   {en: "On ingredient", zh: "针对原料", de: "Zur Zutat"},
	"lab.sampled":  {en: "sampled %s, issued %s", zh: "采样于 %s，出具于 %s", de: "Probe genommen %s, ausgestellt %s"},
	"lab.analyte":  {en: "Analyte", zh: "检测项目", de: "Prüfmerkmal"},
	"lab.value":    {en: "Value", zh: "检测值", de: "Wert"},
	"lab.limit":    {en: "Limit", zh: "限值", de: "Grenzwert"},
	"lab.result":   {en: "Result", zh: "结果", de: "Ergebnis"},
	"lab.pass":     {en: "✔ pass", zh: "✔ 合格", de: "✔ bestanden"},
	"lab.fail":     {en: "✘ fail", zh: "✘ 不合格", de: "✘ nicht bestanden"},
	"verdict.pass": {en: "pass", zh: "合格", de: "bestanden"},
	"verdict.fail": {en: "fail", zh: "不合格", de: "nicht bestanden"},
	"lab.full":     {en: "Full report", zh: "报告全文", de: "Vollständiger Bericht"},
	"lab.none":     {en: "No lab report has been recorded for this lot.", zh: "这个批次尚未记录检测报告。", de: "Für diese Charge ist kein Laborbericht erfasst."},
	"lab.how":      {en: "How this is checked", zh: "如何核验", de: "Wie das geprüft wird"},

	// Journey.
	"journey.h":       {en: "Journey", zh: "全程旅程", de: "Der Weg"},
	"journey.breach":  {en: "%d reading outside the allowed range.|%d readings outside the allowed range.", zh: "有 %d 次温度读数超出允许范围。", de: "%d Messwert außerhalb des zulässigen Bereichs.|%d Messwerte außerhalb des zulässigen Bereichs."},
	"punct.stop":      {en: ".", zh: "。", de: "."},
	"journey.out":     {en: "out of range", zh: "超出范围", de: "außerhalb des Bereichs"},
	"journey.of":      {en: "of %s", zh: "%s", de: "von %s"},
	"chart.summary":   {en: "%d temperature reading, %s to %s|%d temperature readings, %s to %s", zh: "%d 次温度读数，%s 至 %s", de: "%d Temperaturmesswert, %s bis %s|%d Temperaturmesswerte, %s bis %s"},
	"chart.range":     {en: "; allowed %s to %s (green band), %d outside", zh: "；允许范围 %s 至 %s（绿色区域），%d 次超出", de: "; zulässig %s bis %s (grünes Band), %d außerhalb"},
	"chart.point":     {en: "%s at %s", zh: "%[2]s：%[1]s", de: "%s um %s"},
	"step.madeFrom":   {en: "Made from %s", zh: "以 %s 为原料制成", de: "Hergestellt aus %s"},
	"step.usedIn":     {en: "Used to make %s", zh: "用于制作 %s", de: "Verarbeitet zu %s"},
	"step.recall":     {en: "Recalled (class %s)", zh: "已召回（%s 级）", de: "Zurückgerufen (Klasse %s)"},
	"step.inspect":    {en: "Inspected by %s", zh: "由 %s 检测", de: "Geprüft von %s"},
	"step.report":     {en: "Report %s: %s", zh: "报告 %s：%s", de: "Bericht %s: %s"},
	"step.produced":   {en: "Produced", zh: "生产", de: "Erzeugt"},
	"step.harvested":  {en: "Harvested at %s", zh: "在 %s 采收", de: "Geerntet bei %s"},
	"step.shipped":    {en: "Shipped by %s to %s", zh: "由 %s 发往 %s", de: "Versandt von %s an %s"},
	"step.to":         {en: "to %s", zh: "目的地：%s", de: "nach %s"},
	"step.received":   {en: "Received by %s", zh: "%s 已签收", de: "Angenommen von %s"},
	"step.readings":   {en: "Cold-chain readings", zh: "冷链温度记录", de: "Kühlketten-Messwerte"},
	"step.packed":     {en: "Packed into %s", zh: "装入 %s", de: "Verpackt in %s"},
	"step.unpacked":   {en: "Unpacked from %s", zh: "从 %s 取出", de: "Entnommen aus %s"},
	"transform.h":     {en: "Made from and used in", zh: "原料与去向", de: "Zutaten und Verwendung"},
	"transform.in":    {en: "Ingredients", zh: "原料", de: "Zutaten"},
	"transform.out":   {en: "Used to make", zh: "用于制作", de: "Verarbeitet zu"},
	"lot.label":       {en: "GTIN %s · lot %s", zh: "商品条码 %s · 批次 %s", de: "GTIN %s · Charge %s"},
	"product.lot":     {en: "%s · lot %s", zh: "%s · 批次 %s", de: "%s · Charge %s"},
	"product.cat":     {en: "Category", zh: "品类", de: "Kategorie"},
	"product.storage": {en: "Storage", zh: "储存温度", de: "Lagerung"},
	"product.range":   {en: "%s to %s", zh: "%s 至 %s", de: "%s bis %s"},
	"product.life":    {en: "Shelf life", zh: "保质期", de: "Haltbarkeit"},
	"product.days":    {en: "%d day|%d days", zh: "%d 天", de: "%d Tag|%d Tage"},
	"product.scan":    {en: "Scan the code on a package to see the trace of its lot.", zh: "扫描包装上的二维码，即可查看该批次的溯源信息。", de: "Scannen Sie den Code auf einer Packung, um den Weg ihrer Charge zu sehen."},

	// Proofs.
	"proof.h":       {en: "How you can check all this", zh: "您可以亲自核验", de: "So können Sie alles selbst prüfen"},
	"proof.summary": {en: "Every record above is sealed on the public Ethereum blockchain: nobody, not even the brand, can change it afterwards.", zh: "以上每条记录都已封存在公开的以太坊区块链上：任何人，包括品牌方自己，事后都无法篡改。", de: "Jeder Eintrag oben ist in der öffentlichen Ethereum-Blockchain versiegelt: Niemand, auch nicht die Marke selbst, kann ihn nachträglich ändern."},
	"proof.more":    {en: "Show the technical details", zh: "查看技术细节", de: "Technische Details anzeigen"},
	"proof.explain": {en: "Each event's fingerprint is in a Merkle tree whose root the members publish on Ethereum. Anyone can check it, and re-check the promises above from the same evidence, with the", zh: "每条事件的指纹都写入一棵默克尔树，其树根由联盟成员发布到以太坊上。任何人都可以核验，也可以凭同样的依据重新核验上面的承诺，方法是下载", de: "Der Fingerabdruck jedes Ereignisses steht in einem Merkle-Baum, dessen Wurzel die Mitglieder auf Ethereum veröffentlichen. Jeder kann das prüfen und die Versprechen oben anhand derselben Belege nachprüfen, mit dem"},
	"proof.receipt": {en: "trace receipt", zh: "溯源凭证", de: "Herkunftsbeleg"},
	"proof.and":     {en: "and", zh: "并使用", de: "und"},
	"proof.block":   {en: "Anchored in Ethereum block %s (chain %s, tx", zh: "已锚定于以太坊区块 %s（链 %s，交易", de: "Verankert in Ethereum-Block %s (Kette %s, Transaktion"},
	"proof.members": {en: "%d members", zh: "%d 个成员", de: "%d Mitglieder"},
	"proof.pending": {en: "Not yet anchored", zh: "尚未锚定", de: "Noch nicht verankert"},
	"proof.ok":      {en: "✓ Merkle path checked in your browser", zh: "✓ 默克尔路径已在您的浏览器中核验", de: "✓ Merkle-Pfad in Ihrem Browser geprüft"},
	"proof.bad":     {en: "✗ Merkle path does not match", zh: "✗ 默克尔路径不匹配", de: "✗ Merkle-Pfad stimmt nicht überein"},
	// An event the page shows that the lot's receipt does not carry: nothing proves it, and no path was checked.
	"proof.missing": {en: "✗ Not in the lot's receipt: nothing proves this event", zh: "✗ 该批次的溯源凭证中没有这条事件：无法证明它", de: "✗ Nicht im Beleg der Charge: nichts weist dieses Ereignis nach"},

	// The page's receipt check (check.go): {n} are filled in by its script.
	"check.running":      {en: "Checking the receipt in your browser…", zh: "正在您的浏览器中核验溯源凭证……", de: "Der Herkunftsbeleg wird in Ihrem Browser geprüft …"},
	"check.pending":      {en: "Some events are not anchored on Ethereum yet, so their completeness cannot be checked yet; please look again in a minute.", zh: "部分事件尚未锚定到以太坊，暂时无法核验记录是否完整；请过一分钟再看。", de: "Einige Ereignisse sind noch nicht auf Ethereum verankert, daher lässt sich die Vollständigkeit noch nicht prüfen; bitte schauen Sie in einer Minute noch einmal."},
	"check.unavailable":  {en: "The receipt could not be loaded, so this history was not checked in your browser.", zh: "无法加载溯源凭证，因此未能在您的浏览器中核验这段记录。", de: "Der Beleg konnte nicht geladen werden, daher wurde dieser Verlauf nicht in Ihrem Browser geprüft."},
	"check.current":      {en: "✓ Complete and current as of ledger block %s (anchored in Ethereum block %s). Your browser checked that these are all of the lot's %s recorded events, in order, and that nothing newer was recorded on the lot up to that block.", zh: "✓ 截至账本区块 %s（锚定于以太坊区块 %s），记录完整且为最新。您的浏览器已核验：以上就是该批次登记在案的全部 %s 条事件，顺序无误；截至该区块，该批次没有更新的记录。", de: "✓ Vollständig und aktuell mit Stand Registerblock %s (verankert in Ethereum-Block %s). Ihr Browser hat geprüft, dass dies alle %s erfassten Ereignisse der Charge sind, in der richtigen Reihenfolge, und dass bis zu diesem Block nichts Neueres zu ihr erfasst wurde."},
	"check.complete":     {en: "✓ Complete as of ledger block %s (anchored in Ethereum block %s): your browser checked that these are all of the lot's %s recorded events, in order. This receipt does not show whether newer records exist; trustline verify with an Ethereum node does.", zh: "✓ 截至账本区块 %s（锚定于以太坊区块 %s），记录完整：您的浏览器已核验，以上就是该批次登记在案的全部 %s 条事件，顺序无误。这份凭证无法说明之后是否还有更新的记录；使用 trustline verify 并连接以太坊节点即可查明。", de: "✓ Vollständig mit Stand Registerblock %s (verankert in Ethereum-Block %s): Ihr Browser hat geprüft, dass dies alle %s erfassten Ereignisse der Charge sind, in der richtigen Reihenfolge. Ob es neuere Einträge gibt, zeigt dieser Beleg nicht; trustline verify mit einem Ethereum-Knoten zeigt es."},
	"check.weak":         {en: "Each event's anchoring was checked in your browser, but this older receipt format cannot show that no event was left out.", zh: "您的浏览器已核验每条事件的锚定，但这种旧版凭证格式无法证明没有遗漏任何事件。", de: "Ihr Browser hat die Verankerung jedes Ereignisses geprüft, aber dieses ältere Belegformat kann nicht zeigen, dass kein Ereignis fehlt."},
	"check.unchained":    {en: "Each event's anchoring was checked in your browser, but lot %s was recorded before trustline committed to each lot's list of events, so nothing here shows that none was left out.", zh: "您的浏览器已核验每条事件的锚定，但批次 %s 登记于 trustline 开始为每个批次的事件清单做承诺之前，因此这里无法证明没有遗漏任何事件。", de: "Ihr Browser hat die Verankerung jedes Ereignisses geprüft, aber Charge %s wurde erfasst, bevor trustline die Liste der Ereignisse jeder Charge festschrieb; daher zeigt hier nichts, dass keines fehlt."},
	"check.note":         {en: "Lab signatures, the promises and the anchors on Ethereum itself are checked by trustline verify.", zh: "检测报告的签名、各项承诺以及以太坊上的锚定本身，可用 trustline verify 核验。", de: "Laborsignaturen, Versprechen und die Verankerung auf Ethereum selbst prüft trustline verify."},
	"check.time":         {en: "The time of Ethereum block %s is not shown: a receipt does not prove it, and your browser does not ask Ethereum; trustline verify with an Ethereum node reads it from the block.", zh: "此处不显示以太坊区块 %s 的时间：溯源凭证无法证明它，您的浏览器也不会查询以太坊；使用 trustline verify 并连接以太坊节点，即可从该区块读取时间。", de: "Die Zeit des Ethereum-Blocks %s wird nicht angezeigt: Ein Beleg weist sie nicht nach, und Ihr Browser fragt Ethereum nicht; trustline verify mit einem Ethereum-Knoten liest sie aus dem Block."},
	"check.bad":          {en: "✗ Your browser could not confirm that this history is complete and unchanged:", zh: "✗ 您的浏览器无法确认这段记录完整且未被改动：", de: "✗ Ihr Browser konnte nicht bestätigen, dass dieser Verlauf vollständig und unverändert ist:"},
	"check.missing":      {en: "lot %s: only %s of its %s recorded events are shown", zh: "批次 %s：登记在案的 %[3]s 条事件中只显示了 %[2]s 条", de: "Charge %s: nur %s von %s erfassten Ereignissen werden gezeigt"},
	"check.noRecall":     {en: "; its recall is missing", zh: "，缺少召回记录", de: "; der Rückruf fehlt"},
	"check.noBreach":     {en: "; its cold-chain breach is missing", zh: "，缺少冷链中断记录", de: "; die Unterbrechung der Kühlkette fehlt"},
	"check.added":        {en: "lot %s: %s events are shown, but its record counts %s: some are not this lot's", zh: "批次 %s：显示了 %s 条事件，但登记记录只有 %s 条：有些事件不属于该批次", de: "Charge %s: %s Ereignisse werden gezeigt, ihr Eintrag zählt aber %s: einige gehören nicht zu dieser Charge"},
	"check.reordered":    {en: "lot %s: the events shown are not the lot's as recorded (reordered or replaced)", zh: "批次 %s：显示的事件与登记的不一致（顺序被打乱或被替换）", de: "Charge %s: die gezeigten Ereignisse sind nicht die erfassten (umgestellt oder ersetzt)"},
	"check.svcmissing":   {en: "product %s: only %s of its %s recorded service events (complaints and answers) are shown", zh: "产品 %s：登记在案的 %[3]s 条售后服务事件（投诉与答复）中只显示了 %[2]s 条", de: "Produkt %s: nur %s von %s erfassten Service-Ereignissen (Beschwerden und Antworten) werden gezeigt"},
	"check.svcadded":     {en: "product %s: %s service events are shown, but its service record counts %s: some are not this product's", zh: "产品 %s：显示了 %s 条售后服务事件，但登记记录只有 %s 条：有些事件不属于该产品", de: "Produkt %s: %s Service-Ereignisse werden gezeigt, sein Service-Eintrag zählt aber %s: einige gehören nicht zu diesem Produkt"},
	"check.svcreordered": {en: "product %s: the service events shown are not the product's as recorded (reordered or replaced)", zh: "产品 %s：显示的售后服务事件与登记的不一致（顺序被打乱或被替换）", de: "Produkt %s: die gezeigten Service-Ereignisse sind nicht die erfassten (umgestellt oder ersetzt)"},
	"check.svcnorecord":  {en: "the receipt proves no service record of product %s, so nothing shows that no complaint or answer was left out", zh: "凭证中没有产品 %s 经证明的售后服务记录，因此无法证明没有遗漏任何投诉或答复", de: "der Beleg weist keinen Service-Eintrag des Produkts %s nach, also zeigt nichts, dass keine Beschwerde und keine Antwort fehlt"},
	"check.svcstale":     {en: "product %s: the service record shown is not its latest as of ledger block %s", zh: "产品 %s：显示的售后服务记录并非截至账本区块 %s 的最新记录", de: "Produkt %s: der gezeigte Service-Eintrag ist nicht sein neuester mit Stand Registerblock %s"},
	"check.norecord":     {en: "the receipt proves no record of lot %s, so nothing shows that its events are all there", zh: "凭证中没有批次 %s 经证明的登记记录，因此无法证明其事件齐全", de: "der Beleg weist keinen Eintrag der Charge %s nach, also zeigt nichts, dass ihre Ereignisse vollständig sind"},
	"check.stale":        {en: "lot %s: the record shown is not its latest as of ledger block %s", zh: "批次 %s：显示的记录并非截至账本区块 %s 的最新记录", de: "Charge %s: der gezeigte Eintrag ist nicht ihr neuester mit Stand Registerblock %s"},
	"check.state":        {en: "the receipt's proof of the latest state is not the anchored one", zh: "凭证中关于最新状态的证明与已锚定的不符", de: "der Nachweis des neuesten Stands im Beleg ist nicht der verankerte"},
	"check.path":         {en: "%s does not match what was anchored: its content, transaction or block differ from the ledger's", zh: "%s 与已锚定的内容不符：其内容、交易或区块与账本不一致", de: "%s stimmt nicht mit dem Verankerten überein: Inhalt, Transaktion oder Block weichen vom Register ab"},
	"check.anchor":       {en: "%s is in a window without an anchor", zh: "%s 所在的窗口没有锚定", de: "%s liegt in einem Fenster ohne Verankerung"},
	"check.block":        {en: "%s names a block outside its window", zh: "%s 标注的区块不在其窗口范围内", de: "%s nennt einen Block außerhalb seines Fensters"},
	"check.id":           {en: "%s: the event's own id differs", zh: "%s：事件自身的编号不一致", de: "%s: die eigene Kennung des Ereignisses weicht ab"},
	"check.foreign":      {en: "event %s is not of this lot or of a lot it was made from", zh: "事件 %s 既不属于本批次，也不属于其原料批次", de: "Ereignis %s gehört weder zu dieser Charge noch zu einer, aus der sie hergestellt wurde"},
	"check.unit":         {en: "no proven event registers unit %s", zh: "没有经证明的事件登记过单品 %s", de: "kein nachgewiesenes Ereignis registriert die Einheit %s"},
	"check.record":       {en: "record %s is about another lot", zh: "记录 %s 属于其他批次", de: "Eintrag %s betrifft eine andere Charge"},
	"check.claim":        {en: "a promise shown is about another lot (%s)", zh: "显示的一项承诺属于其他批次（%s）", de: "ein gezeigtes Versprechen betrifft eine andere Charge (%s)"},
	"check.subject":      {en: "the receipt names no valid lot (%s)", zh: "凭证未指明有效的批次（%s）", de: "der Beleg nennt keine gültige Charge (%s)"},
	"check.page":         {en: "the receipt is of another lot than this page (%s)", zh: "凭证所属的批次与本页不同（%s）", de: "der Beleg betrifft eine andere Charge als diese Seite (%s)"},
	"check.unproven":     {en: "event %s is shown on this page but not proven by the receipt", zh: "事件 %s 显示在本页上，但凭证中没有对它的证明", de: "Ereignis %s steht auf dieser Seite, wird vom Beleg aber nicht nachgewiesen"},
	"check.unshown":      {en: "event %s is in the receipt but not shown on this page", zh: "事件 %s 在凭证中，却没有显示在本页上", de: "Ereignis %s steht im Beleg, wird auf dieser Seite aber nicht gezeigt"},

	// Error pages.
	"err.scanned":     {en: "If you scanned a code on a package, check that the whole code was scanned; the producer may not have recorded this product on the trustline ledger yet.", zh: "如果您扫描的是包装上的二维码，请确认二维码已完整扫描；也可能是生产商还没有把这件商品登记到 trustline 账本上。", de: "Wenn Sie einen Code auf einer Packung gescannt haben, prüfen Sie bitte, ob der ganze Code erfasst wurde; vielleicht hat der Hersteller dieses Produkt noch nicht im trustline-Register erfasst."},
	"err.notFound":    {en: "Product not found", zh: "未找到该商品", de: "Produkt nicht gefunden"},
	"err.notFoundMsg": {en: "This node has no record of this product or lot.", zh: "这里没有这件商品或这个批次的记录。", de: "Zu diesem Produkt oder dieser Charge liegt hier kein Eintrag vor."},
	"err.root":        {en: "Nothing to see here", zh: "这里没有内容", de: "Hier gibt es nichts zu sehen"},
	"err.rootMsg":     {en: "Scan the QR code on a package to see where it comes from.", zh: "扫描包装上的二维码，看看它从哪里来。", de: "Scannen Sie den QR-Code auf einer Packung, um zu sehen, woher sie kommt."},
	"err.badLink":     {en: "This code cannot be read", zh: "无法识别这个二维码", de: "Dieser Code kann nicht gelesen werden"},
	"err.badLinkMsg":  {en: "The address is not a valid GS1 Digital Link.", zh: "这个地址不是有效的 GS1 数字链接。", de: "Die Adresse ist kein gültiger GS1 Digital Link."},
	"err.internal":    {en: "Something went wrong", zh: "出了点问题", de: "Etwas ist schiefgelaufen"},
	"err.internalMsg": {en: "This page could not be shown; please try again later.", zh: "页面暂时无法显示，请稍后再试。", de: "Diese Seite konnte nicht angezeigt werden; bitte versuchen Sie es später erneut."},
}

// msg is one message in each language.
type msg struct {
	en, zh, de string
	// arg is the argument whose plural category picks the form (1-based;
	// zero means the first).
	arg int
}

func (m msg) in(code string) string {
	switch code {
	case "zh-CN":
		return m.zh
	case "de":
		return m.de
	}
	return m.en
}
