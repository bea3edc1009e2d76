package i18n

// Messages of the command line (cmd/certreg).
var cliMessages = map[string]Msg{
	"cli.in_file": {"%s：%s", "%s: %s"},
}
