-- The front desk corrects visits: a note for staff only, and the concierge's findings as staff
-- corrected them. The concierge's own words stay in ai_summary/ai_analysis (the original kept);
-- a correction is kept beside them with who made it and when.
ALTER TABLE appointments ADD COLUMN staff_note text NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN ai_edited_summary text;
ALTER TABLE appointments ADD COLUMN ai_edited_causes text[];
ALTER TABLE appointments ADD COLUMN ai_edited_by bigint REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE appointments ADD COLUMN ai_edited_at timestamptz;
ALTER TABLE appointments ADD CONSTRAINT appointments_ai_edit_whole
    CHECK ((ai_edited_summary IS NULL) = (ai_edited_at IS NULL)
       AND (ai_edited_causes IS NULL) = (ai_edited_at IS NULL));
