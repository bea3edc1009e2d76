-- A province with an issue year ("浙江, 2023") reads one index range.
CREATE INDEX certificates_province_issue ON certificates(province, issue_date);
