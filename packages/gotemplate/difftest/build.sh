#!/bin/sh
# Builds the Go reference checker (Go's text/template + sprig v3, data decoded
# with UseNumber as KWOK does) used by the differential scripts here.
# Needs Debian's golang-go and golang-github-masterminds-sprig-dev:
#   apt-get install -y golang-go golang-github-masterminds-sprig-dev
set -e
cd "$(dirname "$0")"
GO111MODULE=off GOPATH=/usr/share/gocode go build -o "${GOCHECK:-/tmp/gotemplate-gocheck}" gocheck.go
echo "built ${GOCHECK:-/tmp/gotemplate-gocheck}"
