package fileformat

import (
	"encoding/csv"
	"io"

	"github.com/certreg/certreg/registry"
	"github.com/xuri/excelize/v2"
)

// templateExamples are the example rows of the import templates, by
// field. They name a sample body, which a production registry does not
// know, so that a template uploaded unchanged imports nothing.
var templateExamples = []map[string]string{
	{"number": "SAMPLE-2024-0001", "holder_name": "宁波示例电器有限公司", "holder_credit_code": "914403001922038216", "holder_address": "浙江省宁波市海曙区示例路 1 号",
		"province": "浙江", "city": "宁波", "scheme": "GB/T 27922-2011", "score": "96", "level": "五星级", "scope": "家用电器的售后服务（安装、维修、退换货、投诉处理）",
		"first_issue_date": "2021-03-05", "issue_date": "2024-03-05", "expiry_date": "2027-03-04", "status": "有效",
		"body_approval": "CNCA-R-2016-901", "body_name": "示例质量认证中心（样例）", "stage1_date": "2021-01-10", "stage2_date": "2021-02-01", "cpsq": "88.5", "surveillance": "2025-02-20 通过"},
	{"number": "SAMPLE-2024-0002/3302", "holder_name": "示例商业银行股份有限公司宁波海曙支行", "holder_credit_code": "91440300708461136T",
		"province": "浙江", "city": "宁波", "scheme": "BB", "scope": "银行营业网点的柜面服务、自助服务及客户投诉处理",
		"issue_date": "2024/6/1", "expiry_date": "2027年5月31日", "status": "暂停", "status_date": "2025-07-01", "status_reason": "监督审核不通过",
		"body_approval": "CNCA-R-2016-901", "body_name": "示例质量认证中心（样例）", "surveillance": "2025-06-20 不通过 服务承诺未兑现"},
}

// templateRows are the example rows in the order of the template's columns.
func templateRows() [][]string {
	rows := make([][]string, len(templateExamples))
	for i, ex := range templateExamples {
		for _, f := range registry.Fields {
			rows[i] = append(rows[i], ex[f.Name])
		}
	}
	return rows
}

// TemplateHeader is the header of the import templates: the Chinese column
// names.
func TemplateHeader() []string {
	h := make([]string, len(registry.Fields))
	for i, f := range registry.Fields {
		h[i] = f.ZH
	}
	return h
}

// WriteTemplateCSV writes the CSV import template (UTF-8 with a BOM, which
// Excel needs to open it as UTF-8).
func WriteTemplateCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(TemplateHeader())
	cw.WriteAll(templateRows())
	return cw.Error()
}

// WriteTemplateXLSX writes the XLSX import template: one sheet, the header
// and the example rows, every cell text so that Excel keeps the credit codes
// and dates as typed.
func WriteTemplateXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "证书 Certificates"
	f.SetSheetName("Sheet1", sheet)
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(registry.Fields))
	f.SetColStyle(sheet, "A:"+last, text)
	f.SetColWidth(sheet, "A", last, 18)
	rows := append([][]string{TemplateHeader()}, templateRows()...)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return err
		}
	}
	f.SetRowStyle(sheet, 1, 1, bold)
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	_, err = f.WriteTo(w)
	return err
}
