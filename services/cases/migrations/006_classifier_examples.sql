-- The statistical classifier: which model version classified a case, and what people confirmed.
ALTER TABLE cases ADD COLUMN classifier_version text;

-- Every classification a person confirmed or corrected, as a labelled example of its country
-- (`make train-classifier COUNTRY=GN`). The text is not copied: it is the case's narrative, read
-- from cases when training, so it never leaves cases. `part` is drawn once, when the first
-- confirmation is recorded, and never changes: held-out examples are never trained on.
CREATE TABLE classifier_examples (
    case_id            uuid PRIMARY KEY REFERENCES cases (case_id),
    country            char(2) NOT NULL,
    category_code      integer NOT NULL,
    sub_category       text,
    sensitive          boolean NOT NULL,
    emergency          boolean NOT NULL,
    part               text NOT NULL CHECK (part IN ('train', 'held_out')),
    suggested_category integer,          -- what the model had suggested: corrections can be counted
    classifier_version text,
    confirmed_by       text NOT NULL,
    confirmed_at       timestamptz NOT NULL
);
CREATE INDEX classifier_examples_country ON classifier_examples (country);
