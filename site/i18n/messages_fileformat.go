package i18n

// Messages of package fileformat: import files and batch-check files.
var fileformatMessages = map[string]Msg{
	"file.uploaded_file_cannot_read":   {"无法读取上传的文件：请上传 CSV（UTF-8 或 GBK）、TXT 或 XLSX 文件", "the uploaded file cannot be read: upload a CSV (UTF-8 or GBK), TXT or XLSX file"},
	"file.uploaded_file_too_large":     {"上传的文件过大（最多 %d MB）", "the uploaded file is too large (at most %d MB)"},
	"file.at_most_lines_can":           {"一次最多核验 %d 行：请分批提交", "at most %d lines can be checked at once: split the list"},
	"file.line_not_valid_csv":          {"第 %d 行不是合法的 CSV：%v", "line %d is not valid CSV: %v"},
	"file.line_file_longer_than":       {"文件中有一行超过 1 MiB：这不是证书数据", "a line of the file is longer than 1 MiB: this is not certificate data"},
	"file.line_has_bytes_neither":      {"第 %d 行含有既非 UTF-8 也非 GB18030 的字节", "line %d has bytes that are neither UTF-8 nor GB18030"},
	"file.file_empty":                  {"文件 %s 是空的", "file %s is empty"},
	"file.header_has_columns_more":     {"表头有 %d 列，超过上限 %d", "the header has %d columns, more than the %d allowed"},
	"file.unknown_column_use_template": {"未知的列 %q：请对照模板修改表头（列名见 README）", "unknown column %q: use the template's headers (see the README)"},
	"file.column_repeats":              {"列 %q 与 %q 重复", "column %q repeats %q"},
	"file.required_column_missing":     {"缺少必填列 %s（%s）", "required column %s (%s) is missing"},
	"file.file_old_excel_xls":          {"文件 %s 是旧版 Excel（.xls）：请另存为 .xlsx 或 CSV", "file %s is an old Excel .xls workbook: save it as .xlsx or CSV"},
	"file.file_not_csv_xlsx":           {"文件 %s 不是 CSV 或 XLSX 文件（看起来是二进制文件）", "file %s is not a CSV or XLSX file (it looks binary)"},
	"file.xlsx_file_larger_than":       {"XLSX 文件 %s 超过 100 MiB：请另存为 CSV 再导入", "XLSX file %s is larger than 100 MiB: save it as CSV and import that"},
	"file.file_not_valid_xlsx":         {"文件 %s 不是有效的 XLSX 文件：%v", "file %s is not a valid XLSX workbook: %v"},
	"file.cell_holds_formula_copy":     {"工作表的单元格 %s 含有公式：请复制后“选择性粘贴为数值”再导入", "cell %s holds a formula: copy the sheet and paste values only, then import"},
	"file.workbook_has_sheets_keep":    {"工作簿有 %d 个工作表（%s）：请只保留一个放证书数据的工作表", "the workbook has %d sheets (%s): keep only the one sheet with the certificates"},
	"file.cannot_read_sheet":           {"无法读取工作表 %s：%v", "cannot read sheet %s: %v"},
	"file.too_many_fields":             {"第 %d 行有 %d 个字段，多于表头的 %d 列", "line %d has %d fields, more than the header's %d columns"},
	"file.record_not_json":             {"第 %d 条记录不是有效的 JSON：%v", "record %d is not valid JSON: %v"},
}
