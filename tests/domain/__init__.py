"""Tests for the plain domain layer: policy, audit and the workflows."""
