-- "Five-star certificates in 宁波": the most common combined filter, served
-- by one index range that also keeps the default order.
CREATE INDEX certificates_city_level ON certificates(city, level, issue_date);
