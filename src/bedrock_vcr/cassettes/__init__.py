"""cassettes"""
