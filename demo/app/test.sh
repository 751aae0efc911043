#!/bin/sh
# The application's tests: run the app, check what it says, write a JUnit report.
set -eu
if sh app.sh | grep -q "hello from the gitops demo app"; then failures=0; else failures=1; fi
cat > report.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="demo" tests="1" failures="${failures}"><testcase classname="demo" name="greets"/></testsuite>
XML
exit "$failures"
