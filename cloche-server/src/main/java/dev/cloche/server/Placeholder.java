package dev.cloche.server; final class Placeholder {}
