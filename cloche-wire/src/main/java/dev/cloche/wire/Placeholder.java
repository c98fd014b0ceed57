package dev.cloche.wire; final class Placeholder {}
