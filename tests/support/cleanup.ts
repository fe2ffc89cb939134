import { afterAll } from 'vitest'
import { removeScratchDirs } from './scratch'

afterAll(removeScratchDirs)
