#!/bin/sh
# The image's entrypoint: the schema is brought up to date before the bot starts, so a new image
# never runs on an old database (several containers starting together migrate once, under a lock).
set -eu
homegroup migrate
exec homegroup "$@"
