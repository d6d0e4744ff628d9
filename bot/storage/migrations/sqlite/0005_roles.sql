-- Discord roles: which roles a member holds in a community (for a supporter role), and whether a
-- member said /supporter off there, so holding the supporter role never overrides that choice.

CREATE TABLE member_roles (
    community  TEXT NOT NULL REFERENCES communities (key) ON DELETE CASCADE,
    person     TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    role       TEXT NOT NULL,   -- the platform's role id
    PRIMARY KEY (community, person, role)
);
-- The craving pick reads the holders of one role in one community.
CREATE INDEX member_roles_by_role ON member_roles (community, role);
CREATE INDEX member_roles_by_person ON member_roles (person);

-- TRUE once the member said /supporter off in this community; /supporter on clears it.
ALTER TABLE supporters ADD COLUMN cravings_declined BOOLEAN NOT NULL DEFAULT FALSE;
-- Before this migration "off" and "never on" looked alike (a row made by /phonelist on has
-- cravings FALSE too). Read every such row as a "no": a role must never ping someone who may
-- have said /supporter off; they can say /supporter on again.
UPDATE supporters SET cravings_declined = TRUE WHERE NOT cravings;
