-- Staff call their bays by what stands there («Подъёмник», «Развал») rather than «Пост 2».
-- Entry i names bay i+1; an empty entry, or none, means the default «Пост N». The names are
-- part of the shop, not rows of their own: a bay has no identity beyond its number, which
-- appointments, closures and the bot keep using.
ALTER TABLE shops ADD COLUMN bay_names text[] NOT NULL DEFAULT '{}';

-- A name for a bay the shop does not have would silently reappear when bays are added again;
-- the shops code trims the list when bays shrink. A NULL entry could not be read as text.
ALTER TABLE shops ADD CONSTRAINT shops_bay_names_fit
    CHECK (cardinality(bay_names) <= bays AND array_position(bay_names, NULL) IS NULL);
