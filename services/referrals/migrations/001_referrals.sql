CREATE TABLE referrals (
    referral_id   uuid PRIMARY KEY,
    case_id       uuid NOT NULL UNIQUE,
    reference     text NOT NULL,
    country       char(2) NOT NULL,
    partner_id    text,
    category_code integer,
    emergency     boolean NOT NULL,
    share_contact boolean NOT NULL,
    status        text NOT NULL,
    created_at    timestamptz NOT NULL,
    respond_by    timestamptz NOT NULL
);
