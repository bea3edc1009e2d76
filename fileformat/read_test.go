package fileformat_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/site/i18n"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const csvHeaderZH = "证书编号,获证组织名称,统一社会信用代码,省份,城市,认证依据,评价得分,星级,认证范围,发证日期,有效期至,证书状态,认证机构批准号,认证机构名称\n"

func csvRow(fields ...string) string { return strings.Join(fields, ",") + "\n" }

var goodRow = csvRow("NB-2024-0001", "宁波海天电器有限公司", "914403001922038216", "浙江", "宁波", "GB/T 27922-2011", "96", "五星级", "家用电器售后服务", "2024/3/5", "2027年3月4日", "有效", "CNCA-R-2002-001", "示例认证中心")

// importString imports one file's content with the CLI's options.
func importString(t *testing.T, s *registry.Store, content string, opts registry.ImportOptions) (registry.ImportResult, error) {
	t.Helper()
	rr, err := fileformat.OpenRows("test.csv", strings.NewReader(content))
	if err != nil {
		return registry.ImportResult{}, err
	}
	defer rr.Close()
	return s.Import(context.Background(), registrytest.CLI, rr.Next, opts)
}

func countCertificates(t *testing.T, s *registry.Store) int {
	t.Helper()
	var n int
	if err := registrytest.RawDB(t, s).QueryRow(`SELECT count(*) FROM certificates`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportRejectsBadInput(t *testing.T) {
	row := func(edit func(f []string)) string {
		f := strings.Split(strings.TrimSuffix(goodRow, "\n"), ",")
		edit(f)
		return strings.Join(f, ",") + "\n"
	}
	tests := []struct {
		name    string
		content string
		want    string // in the English message
		line    int
	}{
		{"unknown scheme", csvHeaderZH + row(func(f []string) { f[5] = "GB/T 9999-2020" }), `unknown scheme "GB/T 9999-2020"`, 2},
		{"score not a number", csvHeaderZH + row(func(f []string) { f[6] = "九十" }), `score "九十" is not a number`, 2},
		{"score out of range", csvHeaderZH + row(func(f []string) { f[6] = "101"; f[7] = "" }), "score 101 is out of range", 2},
		{"score too low", csvHeaderZH + row(func(f []string) { f[6] = "69.5"; f[7] = "" }), "score 69.5 is below 70", 2},
		{"level does not match score", csvHeaderZH + row(func(f []string) { f[6] = "89" }), `level "五星级" does not match score 89: under GB/T 27922-2011, 89 earns Three-star`, 2},
		{"expiry before issue", csvHeaderZH + row(func(f []string) { f[10] = "2024-03-01" }), "expiry date 2024-03-01 must be after issue date 2024-03-05", 2},
		{"bad date", csvHeaderZH + row(func(f []string) { f[9] = "2024-02-30" }), `issue date "2024-02-30" is not a valid date`, 2},
		{"unknown status", csvHeaderZH + row(func(f []string) { f[11] = "作废" }), `unknown status "作废"`, 2},
		{"expired cannot be set", csvHeaderZH + row(func(f []string) { f[11] = "过期" }), "status cannot be set to expired", 2},
		{"credit code wrong length", csvHeaderZH + row(func(f []string) { f[2] = "91440300708461136" }), "must have 18 characters, has 17", 2},
		{"credit code bad character", csvHeaderZH + row(func(f []string) { f[2] = "91440300708461136I" }), `character 18 of the unified social credit code, "I", is not allowed`, 2},
		{"bad approval number", csvHeaderZH + row(func(f []string) { f[12] = "CNCA-2002-001" }), `approval number "CNCA-2002-001" is malformed`, 2},
		{"number with bad character", csvHeaderZH + row(func(f []string) { f[0] = "NB 2024 0001" }), `certificate number has a character that is not allowed, " "`, 2},
		{"number too long", csvHeaderZH + row(func(f []string) { f[0] = strings.Repeat("A", 41) }), "4 to 40 characters, has 41", 2},
		{"holder name too long", csvHeaderZH + row(func(f []string) { f[1] = strings.Repeat("长", 201) }), "holder name is too long: at most 200 characters, has 201", 2},
		{"missing holder name", csvHeaderZH + row(func(f []string) { f[1] = "" }), "holder name is required", 2},
		{"duplicate in file", csvHeaderZH + goodRow + row(func(f []string) { f[0] = "nb-2024-0001" }), "appears twice in this file (first on line 2)", 3},
		{"too many fields", csvHeaderZH + strings.TrimSuffix(goodRow, "\n") + ",extra\n", "has 15 fields, more than the header's 14 columns", 2},
		{"invalid UTF-8", csvHeaderZH + goodRow + row(func(f []string) { f[0] = "NB-2024-0002"; f[1] = "宁波\xff\xfe公司" }), "invalid UTF-8", 3},
		{"missing column", strings.Replace(csvHeaderZH, "认证范围", "备注", 1) + goodRow, `unknown column "备注"`, 1},
		{"missing required column", "证书编号,获证组织名称\nA-0001,x\n", "required column 统一社会信用代码 (holder_credit_code) is missing", 1},
		{"duplicate column", strings.Replace(csvHeaderZH, "城市", "省份", 1) + goodRow, `column "省份" repeats "省份"`, 1},
		{"empty file", "", "is empty", 0},
		{"only a BOM and blank lines", "\ufeff\n\n", "is empty", 0},
		{"header only", csvHeaderZH, "there are no data rows", 0},
		{"binary file", "%PDF-1.7\n\x00\x01\x02", "not a CSV or XLSX file", 0},
		{"unknown body", csvHeaderZH + row(func(f []string) { f[13] = "" }), "no certification body with approval number CNCA-R-2002-001 is registered", 2},
		{"stage 2 before stage 1", "证书编号,获证组织名称,统一社会信用代码,省份,认证依据,评价得分,认证范围,发证日期,有效期至,认证机构批准号,认证机构名称,一阶段审核日期,二阶段审核日期\n" +
			"NB-2024-0009,某公司,914403001922038216,浙江,AS,80,范围,2024-03-05,2027-03-04,CNCA-R-2002-001,示例认证中心,2024-01-10,2024-01-05\n", "stage 2 audit date 2024-01-05 cannot be before stage 1 audit date 2024-01-10", 2},
		{"line without newline over 1 MiB", csvHeaderZH + strings.Repeat("A", 2<<20), "longer than 1 MiB", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := registrytest.Open(t)
			_, err := importString(t, s, tt.content, registry.ImportOptions{CreateBodies: !strings.Contains(tt.name, "unknown body")})
			var ie *registry.ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an ImportError", err)
			}
			found := false
			for _, fe := range ie.Errors {
				if strings.Contains(i18n.EN.Render(fe), tt.want) && i18n.ZH.Render(fe) != "" && (tt.line == 0 || fe.Line == tt.line) {
					found = true
				}
			}
			if !found {
				t.Fatalf("errors %v\ndo not include %q on line %d", ie.Errors, tt.want, tt.line)
			}
			if n := countCertificates(t, s); n != 0 {
				t.Fatalf("%d certificates written by a failed import", n)
			}
		})
	}
}

func TestImportReportsEveryBadRow(t *testing.T) {
	s := registrytest.Open(t)
	var b strings.Builder
	b.WriteString(csvHeaderZH)
	for i := 0; i < 50; i++ {
		r := strings.Replace(goodRow, "NB-2024-0001", "NB-2024-1"+strings.Repeat("0", 3-len(itoa(i)))+itoa(i), 1)
		if i%10 == 3 {
			r = strings.Replace(r, ",96,", ",abc,", 1)
		}
		b.WriteString(r)
	}
	_, err := importString(t, s, b.String(), registry.ImportOptions{CreateBodies: true})
	var ie *registry.ImportError
	if !errors.As(err, &ie) || ie.Total != 5 || ie.Rows != 50 {
		t.Fatalf("err = %v, want 5 problems in 50 rows", err)
	}
	lines := []int{}
	for _, fe := range ie.Errors {
		lines = append(lines, fe.Line)
		if fe.Column != "评价得分" {
			t.Errorf("problem on line %d names column %q, want the file's header 评价得分", fe.Line, fe.Column)
		}
	}
	if want := []int{5, 15, 25, 35, 45}; !equalInts(lines, want) {
		t.Fatalf("lines %v, want %v", lines, want)
	}
	if countCertificates(t, s) != 0 {
		t.Fatal("a file with bad rows wrote good ones")
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i/10)) + string(rune('0'+i%10)))[0:]
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestImportCreditCodeWarning(t *testing.T) {
	s := registrytest.Open(t)
	// A legal code from an early pilot region that fails the check.
	content := csvHeaderZH + strings.Replace(goodRow, "914403001922038216", "91350100M0001TGQXM", 1)
	res, err := importString(t, s, content, registry.ImportOptions{CreateBodies: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || len(res.Warnings) != 1 || !res.Warnings[0].Warning || !strings.Contains(i18n.EN.Render(res.Warnings[0]), "should be") {
		t.Fatalf("result %+v, want 1 created with 1 check-character warning", res)
	}
	c, err := s.Certificate(context.Background(), "NB-2024-0001")
	if err != nil || !c.CreditCodeWarning {
		t.Fatalf("warning not recorded: %+v %v", c, err)
	}
}

func TestImportGBKAndBOM(t *testing.T) {
	for _, enc := range []string{"gbk", "gb18030", "utf8-bom", "utf8"} {
		t.Run(enc, func(t *testing.T) {
			s := registrytest.Open(t)
			content := csvHeaderZH + goodRow
			var b []byte
			switch enc {
			case "gbk":
				b, _ = simplifiedchinese.GBK.NewEncoder().Bytes([]byte(content))
			case "gb18030":
				b, _ = simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(content))
			case "utf8-bom":
				b = append([]byte("\ufeff"), content...)
			default:
				b = []byte(content)
			}
			res, err := importString(t, s, string(b), registry.ImportOptions{CreateBodies: true})
			if err != nil || res.Created != 1 {
				t.Fatalf("%+v %v", res, err)
			}
			c, _ := s.Certificate(context.Background(), "NB-2024-0001")
			if c.HolderName != "宁波海天电器有限公司" || c.Province != "浙江" {
				t.Fatalf("decoded %q %q", c.HolderName, c.Province)
			}
		})
	}
}

func TestImportUpdatesAndRecordsHistory(t *testing.T) {
	s := registrytest.Open(t)
	ctx := context.Background()
	if _, err := importString(t, s, csvHeaderZH+goodRow, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	res, err := importString(t, s, csvHeaderZH+goodRow, registry.ImportOptions{})
	if err != nil || res.Unchanged != 1 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
	changed := strings.Replace(strings.Replace(goodRow, ",96,五星级,", ",91,,", 1), ",有效,", ",暂停,", 1)
	changed = strings.Replace(csvHeaderZH, "证书状态,", "证书状态,状态变更原因,", 1) + strings.Replace(changed, ",暂停,", ",暂停,监督审核不通过,", 1)
	res, err = importString(t, s, changed, registry.ImportOptions{KeepItems: true})
	if err != nil || res.Updated != 1 {
		t.Fatalf("changed import: %+v %v", res, err)
	}
	fields := map[string]registry.Change{}
	for _, ch := range res.Items[0].Changes {
		fields[ch.Field] = ch
	}
	if fields["score"].Before != "96" || fields["score"].After != "91" || fields["level"].After != "four-star" || fields["status"].After != "suspended" {
		t.Fatalf("changes %+v", res.Items[0].Changes)
	}
	c, _ := s.Certificate(ctx, "NB-2024-0001")
	hist, err := s.History(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range hist {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "issued,changed,suspended" || hist[2].Reason != "监督审核不通过" {
		t.Fatalf("history %v", hist)
	}
	if c.Version != 2 {
		t.Fatalf("version %d, want 2", c.Version)
	}
	// Revoked is final: an import cannot bring the certificate back.
	if _, err := s.ChangeStatus(ctx, registrytest.CLI, registry.StatusChange{Number: "NB-2024-0001", To: registry.StatusRevoked, Reason: "整改未完成"}); err != nil {
		t.Fatal(err)
	}
	_, err = importString(t, s, csvHeaderZH+goodRow, registry.ImportOptions{})
	var ie *registry.ImportError
	if !errors.As(err, &ie) || !strings.Contains(i18n.EN.Render(ie.Errors[0]), "status cannot move from Revoked to Valid") {
		t.Fatalf("illegal move: %v", err)
	}
	// The same number registered by another body, or for another holder.
	other := strings.Replace(goodRow, "CNCA-R-2002-001", "CNCA-R-2003-002", 1)
	_, err = importString(t, s, csvHeaderZH+other, registry.ImportOptions{CreateBodies: true})
	if !errors.As(err, &ie) || !strings.Contains(i18n.EN.Render(ie.Errors[0]), "already registered by another body") {
		t.Fatalf("other body: %v", err)
	}
	otherHolder := strings.Replace(goodRow, "914403001922038216", "91440300708461136T", 1)
	_, err = importString(t, s, csvHeaderZH+otherHolder, registry.ImportOptions{})
	if !errors.As(err, &ie) || !strings.Contains(i18n.EN.Render(ie.Errors[0]), "already registered to another holder") {
		t.Fatalf("other holder: %v", err)
	}
}

func writeXLSX(t *testing.T, rows [][]any, edit func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(f)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestImportXLSX(t *testing.T) {
	header := []any{"证书编号", "获证组织名称", "统一社会信用代码", "省份", "认证依据", "评价得分", "认证范围", "发证日期", "有效期至", "认证机构批准号", "认证机构名称"}
	dateCell := func(f *excelize.File) {
		// A real Excel date cell: a serial number with a date format.
		style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		f.SetCellValue("Sheet1", "H2", 45356) // 2024-03-05
		f.SetCellStyle("Sheet1", "H2", "H2", style)
	}
	row := []any{"NB-2024-0001", "宁波海天电器有限公司", "914403001922038216", "浙江", "AS", 92.5, "家用电器售后服务", "", "2027-03-04", "CNCA-R-2002-001", "示例认证中心"}
	t.Run("good", func(t *testing.T) {
		s := registrytest.Open(t)
		res, err := importString(t, s, writeXLSX(t, [][]any{header, row}, dateCell), registry.ImportOptions{CreateBodies: true})
		if err != nil || res.Created != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		c, _ := s.Certificate(context.Background(), "NB-2024-0001")
		if c.IssueDate.Format("2006-01-02") != "2024-03-05" || c.LevelCode != "four-star" {
			t.Fatalf("issue %v level %s", c.IssueDate, c.LevelCode)
		}
	})
	bad := []struct {
		name string
		file string
		want string
	}{
		{"formula", writeXLSX(t, [][]any{header, row}, func(f *excelize.File) { dateCell(f); f.SetCellFormula("Sheet1", "F2", "=90+2.5") }), "cell F2 holds a formula"},
		{"two sheets", writeXLSX(t, [][]any{header, row}, func(f *excelize.File) { dateCell(f); f.NewSheet("说明") }), "the workbook has 2 sheets"},
		{"corrupt zip", "PK\x03\x04garbage", "is not a valid XLSX workbook"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			s := registrytest.Open(t)
			_, err := importString(t, s, tt.file, registry.ImportOptions{CreateBodies: true})
			var ie *registry.ImportError
			if !errors.As(err, &ie) || !strings.Contains(i18n.EN.Render(ie.Errors[0]), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if countCertificates(t, s) != 0 {
				t.Fatal("written")
			}
		})
	}
}

// TestExportRoundTrip exports the demo registry and imports both files into
// empty registries, which must then export byte for byte the same.
func TestExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := registrytest.Open(t)
	if _, err := demo.Load(ctx, src); err != nil {
		t.Fatal(err)
	}
	var csvOut, ndOut bytes.Buffer
	if _, err := fileformat.WriteCSV(ctx, src, &csvOut, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := fileformat.WriteNDJSON(ctx, src, &ndOut, 0); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"csv": csvOut.String(), "ndjson": ndOut.String()} {
		t.Run(name, func(t *testing.T) {
			dst := registrytest.Open(t)
			res, err := importString(t, dst, content, registry.ImportOptions{CreateBodies: true})
			if err != nil || res.Created != demo.Size {
				t.Fatalf("%+v %v", res, err)
			}
			var again bytes.Buffer
			if _, err := fileformat.WriteNDJSON(ctx, dst, &again, 0); err != nil {
				t.Fatal(err)
			}
			if again.String() != ndOut.String() {
				a, b := strings.Split(again.String(), "\n"), strings.Split(ndOut.String(), "\n")
				for i := range a {
					if i < len(b) && a[i] != b[i] {
						t.Fatalf("first difference on line %d:\n%s\n%s", i+1, b[i], a[i])
					}
				}
				t.Fatal("round trip differs")
			}
		})
	}
}

// TestTemplatesImport checks the shipped templates: their headers are the
// import format, and their example rows import.
func TestTemplatesImport(t *testing.T) {
	for _, name := range []string{"template.csv", "template.xlsx"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "data", name))
			if err != nil {
				t.Fatal(err)
			}
			s := registrytest.Open(t)
			res, err := importString(t, s, string(b), registry.ImportOptions{CreateBodies: true})
			if err != nil || res.Created == 0 {
				t.Fatalf("%+v %v", res, err)
			}
		})
	}
}

var _ = io.EOF

func asImportError(err error, target **registry.ImportError) bool { return errors.As(err, target) }

// TestREADMEDocumentsEveryColumn keeps the README's column reference in step
// with the import format.
func TestREADMEDocumentsEveryColumn(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range registry.Fields {
		if !strings.Contains(string(b), "| `"+f.Name+"` | "+f.ZH+" |") {
			t.Errorf("README does not document column %s (%s)", f.Name, f.ZH)
		}
	}
}

// FuzzCSVRow reads arbitrary CSV content under a valid header and
// validates every row, as an import does before it writes: it must never
// panic, and every problem must come with a message in both languages.
func FuzzCSVRow(f *testing.F) {
	f.Add(goodRow)
	f.Add(strings.Replace(goodRow, "96", "69", 1))
	f.Add("\"unterminated,quote\n")
	f.Add("A-1,\xff\xfe,914403001922038216\n")
	f.Add(goodRow + goodRow)
	s := registrytest.Open(f)
	f.Fuzz(func(t *testing.T, rows string) {
		rr, err := fileformat.OpenRows("fuzz.csv", strings.NewReader(csvHeaderZH+rows))
		if err != nil {
			checkMessages(t, err)
			return
		}
		defer rr.Close()
		for {
			in, err := rr.Next()
			if err == io.EOF {
				return
			}
			var re *registry.RowError
			if errors.As(err, &re) {
				if i18n.ZH.Render(re) == "" || i18n.EN.Render(re) == "" {
					t.Fatalf("row error without message: %+v", re)
				}
				continue
			}
			if err != nil {
				checkMessages(t, err)
				return
			}
			c, _, errs := in.Validate(s.Schemes())
			for _, fe := range errs {
				if i18n.ZH.Render(fe) == "" || i18n.EN.Render(fe) == "" || !utf8.ValidString(i18n.ZH.Render(fe)+i18n.EN.Render(fe)) {
					t.Fatalf("bad message %+v", fe)
				}
			}
			if len(errs) == 0 && (c.Number == "" || c.HolderName == "" || !c.ExpiryDate.After(c.IssueDate) || c.LevelCode == "") {
				t.Fatalf("accepted an incomplete certificate: %+v from %+v", c, in)
			}
		}
	})
}

func checkMessages(t *testing.T, err error) {
	t.Helper()
	var ie *registry.ImportError
	if !asImportError(err, &ie) {
		t.Fatalf("not an ImportError: %v", err)
	}
	for _, fe := range ie.Errors {
		if i18n.ZH.Render(fe) == "" || i18n.EN.Render(fe) == "" || !utf8.ValidString(i18n.ZH.Render(fe)+i18n.EN.Render(fe)) {
			t.Fatalf("bad message %+v", fe)
		}
	}
}

var update = flag.Bool("update", false, "rewrite data/template.csv and data/template.xlsx from the field table")

// TestShippedTemplatesCurrent checks that the templates shipped in data/
// have the columns of the field table; run with -update to write them
// again after adding a field.
func TestShippedTemplatesCurrent(t *testing.T) {
	var csvBuf, xlsxBuf bytes.Buffer
	if err := fileformat.WriteTemplateCSV(&csvBuf); err != nil {
		t.Fatal(err)
	}
	if err := fileformat.WriteTemplateXLSX(&xlsxBuf); err != nil {
		t.Fatal(err)
	}
	if *update {
		for name, b := range map[string][]byte{"template.csv": csvBuf.Bytes(), "template.xlsx": xlsxBuf.Bytes()} {
			if err := os.WriteFile(filepath.Join("..", "data", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := strings.Join(fileformat.TemplateHeader(), ",")
	b, err := os.ReadFile(filepath.Join("..", "data", "template.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(strings.TrimPrefix(string(b), "\ufeff"), "\n"); first != want {
		t.Errorf("data/template.csv header is\n%s\nwant\n%s\n(go test ./fileformat -run TestShippedTemplatesCurrent -update)", first, want)
	}
	f, err := excelize.OpenFile(filepath.Join("..", "data", "template.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil || len(rows) == 0 || strings.Join(rows[0], ",") != want {
		t.Errorf("data/template.xlsx header is %v, want %s (go test ./fileformat -run TestShippedTemplatesCurrent -update)", rows, want)
	}
}
