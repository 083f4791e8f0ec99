-- The figures an export's statistics show (JSON of convo_model::Figures), kept in the
-- chain, which outlives the export, so that the export continuing it shows each figure
-- beside the previous one's; and, on an export that continues another, those previous
-- figures as its file shows them (its reproduction must show the same).
ALTER TABLE export_chain ADD COLUMN figures TEXT;
ALTER TABLE exports ADD COLUMN previous_figures TEXT;
