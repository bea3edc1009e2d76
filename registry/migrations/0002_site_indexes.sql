-- Indexes for the public site's browse and search: every sort order has an
-- index that lets LIMIT stop early, and each filter that is used alone has
-- one that ends in the issue date (the default order).
CREATE INDEX certificates_expiry ON certificates(expiry_date, id);
CREATE INDEX certificates_city ON certificates(city, issue_date);
CREATE INDEX certificates_level_only ON certificates(level, issue_date);
