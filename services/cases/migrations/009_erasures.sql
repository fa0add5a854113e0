-- Erasures (crypto-shredding) of a case or of a complainant: asked by one person, approved by
-- another (four eyes), then carried out by every service, which reports what it erased.
CREATE TABLE erasures (
    erasure_id   uuid PRIMARY KEY,
    scope        text NOT NULL CHECK (scope IN ('case', 'complainant')),
    ground       text NOT NULL,
    reference    text NOT NULL,                 -- the case named in the request
    country      char(2) NOT NULL,
    case_ids     uuid[] NOT NULL,               -- every case it covers, fixed at approval
    references_  text[] NOT NULL,
    contact_ref  uuid,                          -- the complainant's contact (scope complainant)
    status       text NOT NULL CHECK (status IN ('requested', 'approved', 'completed', 'declined')),
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL,
    decided_by   text CHECK (decided_by IS NULL OR decided_by <> requested_by),
    decided_at   timestamptz
);
CREATE INDEX erasures_by_country ON erasures (country, requested_at DESC);

-- What each service reported it erased: the certificate's lines.
CREATE TABLE erasure_receipts (
    erasure_id   uuid NOT NULL REFERENCES erasures,
    service      text NOT NULL,
    erased       jsonb NOT NULL,
    completed_at timestamptz NOT NULL,
    PRIMARY KEY (erasure_id, service)
);
