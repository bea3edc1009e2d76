package fileformat

import (
	"encoding/csv"
	"io"

	"github.com/xuri/excelize/v2"
)

// templateExamples are the example rows of the import templates. They name
// a sample body, which a production registry does not know, so that a
// template uploaded unchanged imports nothing.
var templateExamples = [][]string{
	{"SAMPLE-2024-0001", "宁波示例电器有限公司", "914403001922038216", "浙江省宁波市海曙区示例路 1 号", "浙江", "宁波", "GB/T 27922-2011", "96", "五星级", "家用电器的售后服务（安装、维修、退换货、投诉处理）", "2021-03-05", "2024-03-05", "2027-03-04", "有效", "", "", "CNCA-R-2016-901", "示例质量认证中心（样例）", "2021-01-10", "2021-02-01", "88.5", "2025-02-20 通过"},
	{"SAMPLE-2024-0002/3302", "示例商业银行股份有限公司宁波海曙支行", "91440300708461136T", "", "浙江", "宁波", "BB", "", "", "银行营业网点的柜面服务、自助服务及客户投诉处理", "", "2024/6/1", "2027年5月31日", "暂停", "2025-07-01", "监督审核不通过", "CNCA-R-2016-901", "示例质量认证中心（样例）", "", "", "", "2025-06-20 不通过 服务承诺未兑现"},
}

// TemplateHeader is the header of the import templates: the Chinese column
// names.
func TemplateHeader() []string {
	h := make([]string, len(Columns))
	for i, c := range Columns {
		h[i] = c.ZH
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
	cw.WriteAll(templateExamples)
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
	last, _ := excelize.ColumnNumberToName(len(Columns))
	f.SetColStyle(sheet, "A:"+last, text)
	f.SetColWidth(sheet, "A", last, 18)
	rows := append([][]string{TemplateHeader()}, templateExamples...)
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
