-- Crisis-line presets. A community now shows the bundled lines of a preset (its code in the
-- settings as resources_preset) with its admins' own lines below them; new communities start
-- with the international preset. Every community that exists now keeps the lines it shows
-- today: with its admins' own text, that text alone (JSON null: no preset); without, the list
-- that was bundled until now (the legacy preset). Settings that are not JSON are left alone.
UPDATE communities
SET settings = json_set(
    settings,
    '$.resources_preset',
    CASE
        WHEN json_type(settings, '$.resources') = 'text'
             AND trim(json_extract(settings, '$.resources'), ' ' || char(9, 10, 13)) <> ''
        THEN NULL
        ELSE 'legacy'
    END
)
WHERE json_valid(settings) AND json_type(settings, '$.resources_preset') IS NULL;
