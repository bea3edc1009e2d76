-- The issue-date index also holds each certificate's status and expiry
-- date (issue 14), after the holder's name (0013): a search with a status
-- (有限公司, valid, page 20) that reads newest first then checks the
-- status, the expiry and the name in the index, and reads only the rows
-- it shows; its count reads index entries, not rows. About 12 bytes a
-- certificate.
DROP INDEX certificates_issue;
CREATE INDEX certificates_issue ON certificates(issue_date, id, holder_name, status, expiry_date);
