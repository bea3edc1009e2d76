package i18n

// Messages of the public transparency log.
func init() {
	Register(map[string]Msg{
		"cert.log": {"已记入公开日志第 %d 条", "Recorded in the public log at #%d"},
	})
}
