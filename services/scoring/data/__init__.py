"""Historical and synthetic application tables for training the credit-risk model."""
