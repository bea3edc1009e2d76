package i18n

// Messages of the log's independent witnesses (c2sp.org/tlog-witness).
var witnessMessages = map[string]Msg{
	"log.witnessed":        {"已记入公开日志，经 %d 个独立见证方见证", "Recorded in the public log, witnessed by %d independent witnesses"},
	"log.witnessed_one":    {"已记入公开日志，经 1 个独立见证方见证", "Recorded in the public log, witnessed by 1 independent witness"},
	"log.how_to_check":     {"如何核对", "How to check"},
	"log.check.title":      {"核对公开日志及其见证方", "Checking the public log and its witnesses"},
	"log.check.intro":      {"每次变更都记入公开的默克尔树日志，登记库签署其检查点；独立见证方只在新检查点延续其见过的全部历史时才副署，从而任何人都能确认所有人看到的是同一份历史。", "Every change is an entry of a public Merkle tree log whose checkpoints the registry signs; independent witnesses cosign a new checkpoint only if it extends all the history they saw, so anyone can check that everyone is shown the same history."},
	"log.check.checkpoint": {"当前检查点（含见证方副署）：", "The current checkpoint, with the witnesses' cosignatures:"},
	"log.check.key":        {"登记库的日志验证密钥：", "The registry's log verifier key:"},
	"log.check.witnesses":  {"见证方及其验证密钥：", "The witnesses and their verifier keys:"},
	"log.check.no_witness": {"本登记库尚未配置独立见证方。", "This registry has no independent witness configured yet."},
	"log.check.command":    {"用 certreg 核对（要求至少 %d 个见证方副署）：", "To check with certreg (requiring at least %d witness cosignatures):"},
	"log.check.docs":       {"格式与协议见 docs/transparency-log.md（c2sp.org/tlog-checkpoint、tlog-witness、tlog-cosignature）。", "The formats and protocols are in docs/transparency-log.md (c2sp.org/tlog-checkpoint, tlog-witness, tlog-cosignature)."},
}
