-- Where a shop is (issue 15): a customer who shares their location with the bot is offered the
-- nearest shop. Both coordinates or neither; WGS 84 degrees, as Telegram and the maps give them.
ALTER TABLE shops
    ADD COLUMN latitude double precision,
    ADD COLUMN longitude double precision,
    ADD CONSTRAINT shops_location_check CHECK (
        (latitude IS NULL) = (longitude IS NULL)
        AND (latitude IS NULL OR (latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180))
    );
