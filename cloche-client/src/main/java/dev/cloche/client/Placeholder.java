package dev.cloche.client; final class Placeholder {}
