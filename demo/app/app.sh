#!/bin/sh
echo "hello from the gitops demo app"
